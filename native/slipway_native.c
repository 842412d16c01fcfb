/*
 * The few Linux calls Node lacks: mknod (device nodes and overlay whiteouts), the l*xattr
 * family (PAX xattrs, overlay opaque markers), mount/umount2 (overlay snapshots in tests
 * and the mount driver), a SOCK_SEQPACKET client for conmon's attach socket (in
 * seqpacket.c), a directory listing with every entry's lstat (dirstat.c) and a new network
 * namespace bound to a file without a helper process (netnsCreate). Every failure becomes a JS Error whose `code` is the errno name, as
 * Node's own fs errors are, so callers can branch on EPERM/ENOTSUP/ENODATA.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>

#include "native.h"

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, "EINVAL", "slipway_native: bad arguments");    \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

const char *errno_name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case EBUSY: return "EBUSY";
    case ENODEV: return "ENODEV";
    case ENOTSUP: return "ENOTSUP";
    case ENODATA: return "ENODATA";
    case ERANGE: return "ERANGE";
    case E2BIG: return "E2BIG";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ELOOP: return "ELOOP";
    case EIO: return "EIO";
    case ENOMEM: return "ENOMEM";
    case EDQUOT: return "EDQUOT";
    case EFAULT: return "EFAULT";
    case ENXIO: return "ENXIO";
    case ENOTBLK: return "ENOTBLK";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case EAGAIN: return "EAGAIN";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case EPIPE: return "EPIPE";
    case ENOTCONN: return "ENOTCONN";
    case EBADF: return "EBADF";
    case EMSGSIZE: return "EMSGSIZE";
    default: return "EUNKNOWN";
  }
}

napi_value throw_errno(napi_env env, int e, const char *syscall, const char *path) {
  char msg[4352];
  snprintf(msg, sizeof msg, "%s %s: %s", syscall, path ? path : "", strerror(e));
  napi_value m, code, err, no;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, m, &err);
  napi_create_int32(env, -e, &no);
  napi_set_named_property(env, err, "errno", no);
  napi_value sc;
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, err, "syscall", sc);
  if (path) {
    napi_value p;
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &p);
    napi_set_named_property(env, err, "path", p);
  }
  napi_throw(env, err);
  return NULL;
}

/* A JS string argument copied into a malloc'd C string (caller frees); NULL for null/undefined. */
static char *get_string(napi_env env, napi_value v, int nullable, int *ok) {
  napi_valuetype t;
  *ok = 0;
  if (napi_typeof(env, v, &t) != napi_ok) return NULL;
  if (nullable && (t == napi_null || t == napi_undefined)) {
    *ok = 1;
    return NULL;
  }
  if (t != napi_string) return NULL;
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (!s) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  *ok = 1;
  return s;
}

#define ARGS(n)                                                            \
  size_t argc = n;                                                         \
  napi_value argv[n];                                                      \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));             \
  if (argc < n) {                                                          \
    napi_throw_type_error(env, "EINVAL", "slipway_native: missing arguments"); \
    return NULL;                                                           \
  }

#define STR(var, idx, nullable)                                            \
  int var##_ok;                                                            \
  char *var = get_string(env, argv[idx], nullable, &var##_ok);             \
  if (!var##_ok) {                                                         \
    napi_throw_type_error(env, "EINVAL", "slipway_native: argument " #idx " must be a string"); \
    goto out;                                                              \
  }

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* mknod(path, mode, major, minor): mode carries the file type bits (S_IFCHR...). */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  napi_value ret = NULL;
  ARGS(4);
  STR(path, 0, 0);
  uint32_t mode, major, minor;
  CHECK(napi_get_value_uint32(env, argv[1], &mode));
  CHECK(napi_get_value_uint32(env, argv[2], &major));
  CHECK(napi_get_value_uint32(env, argv[3], &minor));
  if (mknod(path, (mode_t)mode, makedev(major, minor)) != 0) throw_errno(env, errno, "mknod", path);
  else ret = undefined(env);
out:
  free(path);
  return ret;
}

/* lsetxattr(path, name, value: Buffer) */
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  napi_value ret = NULL;
  char *name = NULL;
  ARGS(3);
  STR(path, 0, 0);
  int name_ok;
  name = get_string(env, argv[1], 0, &name_ok);
  if (!name_ok) {
    napi_throw_type_error(env, "EINVAL", "slipway_native: xattr name must be a string");
    goto out;
  }
  void *data;
  size_t len;
  bool isbuf = false;
  napi_is_buffer(env, argv[2], &isbuf);
  if (!isbuf || napi_get_buffer_info(env, argv[2], &data, &len) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "slipway_native: xattr value must be a Buffer");
    goto out;
  }
  if (lsetxattr(path, name, data, len, 0) != 0) throw_errno(env, errno, "lsetxattr", path);
  else ret = undefined(env);
out:
  free(path);
  free(name);
  return ret;
}

/* lgetxattr(path, name) -> Buffer | null (null when the attribute is absent). */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  napi_value ret = NULL;
  char *name = NULL;
  char *buf = NULL;
  ARGS(2);
  STR(path, 0, 0);
  int name_ok;
  name = get_string(env, argv[1], 0, &name_ok);
  if (!name_ok) {
    napi_throw_type_error(env, "EINVAL", "slipway_native: xattr name must be a string");
    goto out;
  }
  for (;;) {
    ssize_t n = lgetxattr(path, name, NULL, 0);
    if (n < 0) {
      if (errno == ENODATA) napi_get_null(env, &ret);
      else throw_errno(env, errno, "lgetxattr", path);
      goto out;
    }
    buf = malloc(n > 0 ? (size_t)n : 1);
    ssize_t m = lgetxattr(path, name, buf, (size_t)n);
    if (m < 0) {
      free(buf);
      buf = NULL;
      if (errno == ERANGE) continue; /* grew between the two calls */
      if (errno == ENODATA) napi_get_null(env, &ret);
      else throw_errno(env, errno, "lgetxattr", path);
      goto out;
    }
    void *dst;
    napi_create_buffer_copy(env, (size_t)m, buf, &dst, &ret);
    goto out;
  }
out:
  free(path);
  free(name);
  free(buf);
  return ret;
}

/* llistxattr(path) -> string[] */
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  napi_value ret = NULL;
  char *buf = NULL;
  ARGS(1);
  STR(path, 0, 0);
  for (;;) {
    ssize_t n = llistxattr(path, NULL, 0);
    if (n < 0) {
      throw_errno(env, errno, "llistxattr", path);
      goto out;
    }
    buf = malloc(n > 0 ? (size_t)n : 1);
    ssize_t m = llistxattr(path, buf, (size_t)n);
    if (m < 0) {
      free(buf);
      buf = NULL;
      if (errno == ERANGE) continue;
      throw_errno(env, errno, "llistxattr", path);
      goto out;
    }
    napi_create_array(env, &ret);
    uint32_t i = 0;
    for (ssize_t off = 0; off < m;) {
      size_t l = strlen(buf + off);
      napi_value s;
      napi_create_string_utf8(env, buf + off, l, &s);
      napi_set_element(env, ret, i++, s);
      off += (ssize_t)l + 1;
    }
    goto out;
  }
out:
  free(path);
  free(buf);
  return ret;
}

/* mount(source, target, fstype, flags, data); source/fstype/data may be null. */
static napi_value js_mount(napi_env env, napi_callback_info info) {
  napi_value ret = NULL;
  char *target = NULL, *fstype = NULL, *data = NULL;
  ARGS(5);
  STR(source, 0, 1);
  int ok;
  target = get_string(env, argv[1], 0, &ok);
  if (!ok) { napi_throw_type_error(env, "EINVAL", "slipway_native: mount target must be a string"); goto out; }
  fstype = get_string(env, argv[2], 1, &ok);
  if (!ok) { napi_throw_type_error(env, "EINVAL", "slipway_native: fstype must be a string or null"); goto out; }
  double flags;
  if (napi_get_value_double(env, argv[3], &flags) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "slipway_native: mount flags must be a number");
    goto out;
  }
  data = get_string(env, argv[4], 1, &ok);
  if (!ok) { napi_throw_type_error(env, "EINVAL", "slipway_native: mount data must be a string or null"); goto out; }
  if (mount(source, target, fstype, (unsigned long)flags, data) != 0) throw_errno(env, errno, "mount", target);
  else ret = undefined(env);
out:
  free(source);
  free(target);
  free(fstype);
  free(data);
  return ret;
}

/* umount2(target, flags) */
static napi_value js_umount2(napi_env env, napi_callback_info info) {
  napi_value ret = NULL;
  ARGS(2);
  STR(target, 0, 0);
  int32_t flags;
  if (napi_get_value_int32(env, argv[1], &flags) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "slipway_native: umount2 flags must be a number");
    goto out;
  }
  if (umount2(target, flags) != 0) throw_errno(env, errno, "umount2", target);
  else ret = undefined(env);
out:
  free(target);
  return ret;
}

/* peercred(fd) -> {pid, uid, gid}: SO_PEERCRED of a connected unix socket (the Engine API
 * service checks who is on the other end of its socket; Node exposes no getsockopt). */
static napi_value js_peercred(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return throw_errno(env, errno, "getsockopt SO_PEERCRED", NULL);
  napi_value ret, pid, uid, gid;
  napi_create_object(env, &ret);
  napi_create_int32(env, cred.pid, &pid);
  napi_create_uint32(env, cred.uid, &uid);
  napi_create_uint32(env, cred.gid, &gid);
  napi_set_named_property(env, ret, "pid", pid);
  napi_set_named_property(env, ret, "uid", uid);
  napi_set_named_property(env, ret, "gid", gid);
  return ret;
}

struct netns_job {
  const char *path;
  int err;
  const char *call;
};

/* On a thread of its own: a thread's network namespace is its own (unlike the mount namespace
 * or the fs root), so unsharing it there leaves Node's threads where they are. The bind mount
 * keeps the namespace alive after the thread ends, as `ip netns add` does. */
static void *netns_thread(void *arg) {
  struct netns_job *job = arg;
  char self[64];
  if (unshare(CLONE_NEWNET) != 0) {
    job->err = errno;
    job->call = "unshare CLONE_NEWNET";
    return NULL;
  }
  snprintf(self, sizeof self, "/proc/self/task/%ld/ns/net", (long)syscall(SYS_gettid));
  if (mount(self, job->path, NULL, MS_BIND, NULL) != 0) {
    job->err = errno;
    job->call = "mount --bind";
  }
  return NULL;
}

/* netnsCreate(path): a new, empty network namespace bind-mounted on the existing file `path`. */
static napi_value js_netns_create(napi_env env, napi_callback_info info) {
  napi_value ret = NULL;
  ARGS(1);
  STR(path, 0, 0);
  struct netns_job job = {path, 0, NULL};
  pthread_t t;
  int e = pthread_create(&t, NULL, netns_thread, &job);
  if (e != 0) {
    throw_errno(env, e, "pthread_create", path);
    goto out;
  }
  pthread_join(t, NULL);
  if (job.err) throw_errno(env, job.err, job.call, path);
  else ret = undefined(env);
out:
  free(path);
  return ret;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"mknod", NULL, js_mknod, NULL, NULL, NULL, napi_default, NULL},
    {"lsetxattr", NULL, js_lsetxattr, NULL, NULL, NULL, napi_default, NULL},
    {"lgetxattr", NULL, js_lgetxattr, NULL, NULL, NULL, napi_default, NULL},
    {"llistxattr", NULL, js_llistxattr, NULL, NULL, NULL, napi_default, NULL},
    {"mount", NULL, js_mount, NULL, NULL, NULL, napi_default, NULL},
    {"umount2", NULL, js_umount2, NULL, NULL, NULL, napi_default, NULL},
    {"peercred", NULL, js_peercred, NULL, NULL, NULL, napi_default, NULL},
    {"netnsCreate", NULL, js_netns_create, NULL, NULL, NULL, napi_default, NULL},
    {"readdirStats", NULL, slipway_readdir_stats, NULL, NULL, NULL, napi_default, NULL},
    {"readdirFingerprint", NULL, slipway_readdir_fingerprint, NULL, NULL, NULL, napi_default, NULL},
    {"seqpacketConnect", NULL, slipway_seqpacket_connect, NULL, NULL, NULL, napi_default, NULL},
    {"seqpacketSend", NULL, slipway_seqpacket_send, NULL, NULL, NULL, napi_default, NULL},
    {"seqpacketWatch", NULL, slipway_seqpacket_watch, NULL, NULL, NULL, napi_default, NULL},
    {"seqpacketShutdown", NULL, slipway_seqpacket_shutdown, NULL, NULL, NULL, napi_default, NULL},
    {"seqpacketClose", NULL, slipway_seqpacket_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
