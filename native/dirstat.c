/*
 * readdirStats(dir) -> { names: string[], stats: Float64Array }: one directory's entries,
 * sorted by name (byte order), each with its lstat, in one call. The build context walk
 * stats every file of the context on every build (that is how a changed file is found);
 * Node's lstatSync costs a request, a stats array and an object per file, fstatat from
 * here a syscall. stats holds DIRSTAT_FIELDS numbers per entry, in fs.Stats constructor
 * order: dev, mode, nlink, uid, gid, rdev, blksize, ino, size, blocks, atimeMs, mtimeMs,
 * ctimeMs, birthtimeMs (ctime: lstat has no birth time). Times are computed as Node does
 * (sec * 1e3 + nsec / 1e6), so stat-keyed caches see the same numbers either way.
 * An entry removed between readdir and fstatat is left out.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "native.h"

#define DIRSTAT_FIELDS 14

struct entry {
  char *name;
  struct stat st;
};

static int by_name(const void *a, const void *b) {
  return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static double ms(struct timespec t) {
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void free_entries(struct entry *es, size_t n) {
  for (size_t i = 0; i < n; i++) free(es[i].name);
  free(es);
}

/* One directory's entries (not . and ..), each with its lstat, sorted by name. Returns the
 * count, or -1 with an exception pending. An entry removed between readdir and fstatat is
 * left out. */
static long read_entries(napi_env env, napi_callback_info info, const char *usage, char *path, size_t cap_path, struct entry **out) {
  size_t argc = 1, len;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], path, cap_path, &len) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", usage);
    return -1;
  }
  if (len >= cap_path - 1) {
    throw_errno(env, ENAMETOOLONG, "opendir", path);
    return -1;
  }
  DIR *d = opendir(path);
  if (!d) {
    throw_errno(env, errno, "opendir", path);
    return -1;
  }
  int dfd = dirfd(d);
  size_t n = 0, cap = 64;
  struct entry *es = malloc(cap * sizeof *es);
  if (!es) {
    closedir(d);
    throw_errno(env, ENOMEM, "readdir", path);
    return -1;
  }
  int err = 0;
  for (;;) {
    errno = 0;
    struct dirent *de = readdir(d);
    if (!de) {
      err = errno;
      break;
    }
    if (de->d_name[0] == '.' && (de->d_name[1] == 0 || (de->d_name[1] == '.' && de->d_name[2] == 0))) continue;
    if (n == cap) {
      struct entry *more = realloc(es, 2 * cap * sizeof *es);
      if (!more) {
        err = ENOMEM;
        break;
      }
      es = more;
      cap *= 2;
    }
    if (fstatat(dfd, de->d_name, &es[n].st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      err = errno;
      break;
    }
    es[n].name = strdup(de->d_name);
    if (!es[n].name) {
      err = ENOMEM;
      break;
    }
    n++;
  }
  closedir(d);
  if (err) {
    free_entries(es, n);
    throw_errno(env, err, "readdir", path);
    return -1;
  }
  qsort(es, n, sizeof *es, by_name);
  *out = es;
  return (long)n;
}

napi_value slipway_readdir_stats(napi_env env, napi_callback_info info) {
  char path[4097];
  struct entry *es;
  long got = read_entries(env, info, "slipway_native: readdirStats takes a directory path", path, sizeof path, &es);
  if (got < 0) return NULL;
  size_t n = (size_t)got;
  napi_value ret = NULL;
  napi_value names, buf, stats, obj;
  double *v;
  if (napi_create_array_with_length(env, n, &names) != napi_ok ||
      napi_create_arraybuffer(env, n * DIRSTAT_FIELDS * sizeof(double), (void **)&v, &buf) != napi_ok ||
      napi_create_typedarray(env, napi_float64_array, n * DIRSTAT_FIELDS, buf, 0, &stats) != napi_ok ||
      napi_create_object(env, &obj) != napi_ok) {
    napi_throw_error(env, "ENOMEM", "slipway_native: readdirStats could not make its result");
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    napi_value s;
    napi_create_string_utf8(env, es[i].name, NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, names, (uint32_t)i, s);
    const struct stat *st = &es[i].st;
    double *f = v + i * DIRSTAT_FIELDS;
    f[0] = (double)st->st_dev;
    f[1] = (double)st->st_mode;
    f[2] = (double)st->st_nlink;
    f[3] = (double)st->st_uid;
    f[4] = (double)st->st_gid;
    f[5] = (double)st->st_rdev;
    f[6] = (double)st->st_blksize;
    f[7] = (double)st->st_ino;
    f[8] = (double)st->st_size;
    f[9] = (double)st->st_blocks;
    f[10] = ms(st->st_atim);
    f[11] = ms(st->st_mtim);
    f[12] = ms(st->st_ctim);
    f[13] = f[12];
  }
  napi_set_named_property(env, obj, "names", names);
  napi_set_named_property(env, obj, "stats", stats);
  ret = obj;
out:
  free_entries(es, n);
  return ret;
}

/* The fixed part of one entry in readdirFingerprint's bytes (after its name and a NUL). */
struct print_fields {
  uint32_t mode, uid, gid, pad;
  int64_t size;
  uint64_t ino;
  int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
};

/*
 * readdirFingerprint(dir) -> { bytes: Buffer, dirs: string[] }: what a directory's entries
 * are, as bytes to hash (each entry's name, a NUL, then its mode, owner, size, inode, mtime
 * and ctime), sorted by name, and the names of its subdirectories. A rebuild that finds a
 * COPY's directories unchanged stops there: no string or object per file is made (making
 * them was most of a 2,000-file walk's cost).
 */
napi_value slipway_readdir_fingerprint(napi_env env, napi_callback_info info) {
  char path[4097];
  struct entry *es;
  long got = read_entries(env, info, "slipway_native: readdirFingerprint takes a directory path", path, sizeof path, &es);
  if (got < 0) return NULL;
  size_t n = (size_t)got, total = 0, ndirs = 0;
  for (size_t i = 0; i < n; i++) {
    total += strlen(es[i].name) + 1 + sizeof(struct print_fields);
    if (S_ISDIR(es[i].st.st_mode)) ndirs++;
  }
  napi_value ret = NULL, bytes, dirs, obj;
  char *b;
  if (napi_create_buffer(env, total, (void **)&b, &bytes) != napi_ok ||
      napi_create_array_with_length(env, ndirs, &dirs) != napi_ok ||
      napi_create_object(env, &obj) != napi_ok) {
    napi_throw_error(env, "ENOMEM", "slipway_native: readdirFingerprint could not make its result");
    goto out;
  }
  uint32_t d = 0;
  for (size_t i = 0; i < n; i++) {
    const struct stat *st = &es[i].st;
    size_t l = strlen(es[i].name) + 1;
    memcpy(b, es[i].name, l);
    b += l;
    struct print_fields f = {
      .mode = st->st_mode, .uid = st->st_uid, .gid = st->st_gid, .pad = 0,
      .size = st->st_size, .ino = st->st_ino,
      .mtime_sec = st->st_mtim.tv_sec, .mtime_nsec = st->st_mtim.tv_nsec,
      .ctime_sec = st->st_ctim.tv_sec, .ctime_nsec = st->st_ctim.tv_nsec,
    };
    memcpy(b, &f, sizeof f);
    b += sizeof f;
    if (S_ISDIR(st->st_mode)) {
      napi_value s;
      napi_create_string_utf8(env, es[i].name, NAPI_AUTO_LENGTH, &s);
      napi_set_element(env, dirs, d++, s);
    }
  }
  napi_set_named_property(env, obj, "bytes", bytes);
  napi_set_named_property(env, obj, "dirs", dirs);
  ret = obj;
out:
  free_entries(es, n);
  return ret;
}
