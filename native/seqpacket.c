/*
 * A SOCK_SEQPACKET unix-socket client for conmon's attach socket. Node cannot open one:
 * libuv classifies the fd as UNKNOWN and net.Socket({fd}) refuses it. The fd is non-blocking
 * and watched by a uv_poll_t on Node's own loop, so no thread blocks per session: when it is
 * readable every waiting packet is handed to JS whole ("data", Buffer), then "end" at EOF;
 * when a send would block, JS asks to be told "writable". Errors carry `code` = errno name.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "native.h"

/* conmon sends at most 1 + 8192 bytes per packet; anything bigger would be truncated. */
#define PACKET_MAX 65536
/* Packets handed to JS per wakeup, so one busy session cannot starve the loop. */
#define PACKETS_PER_WAKEUP 64

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  int events;
  int closing;
  int uv_closed; /* the struct is freed when both uv and the JS handle are done with it */
  int js_gone;
  napi_ref self;     /* strong while open: the handle lives until close() */
  napi_ref callback; /* (kind, data) => void */
  napi_async_context ctx;
} seqpacket_t;

static void emit(seqpacket_t *s, const char *kind, napi_value data) {
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, argv[2], result;
  if (napi_get_reference_value(env, s->callback, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &recv); /* make_callback needs an object receiver */
    napi_create_string_utf8(env, kind, NAPI_AUTO_LENGTH, &argv[0]);
    if (data == NULL) napi_get_undefined(env, &argv[1]);
    else argv[1] = data;
    /* make_callback runs the microtasks the callback queued, as any Node I/O callback does. */
    if (napi_make_callback(env, s->ctx, recv, cb, 2, argv, &result) == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void emit_errno(seqpacket_t *s, int e) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(s->env, &scope) != napi_ok) return;
  napi_value code;
  napi_create_string_utf8(s->env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  emit(s, "error", code);
  napi_close_handle_scope(s->env, scope);
}

static void set_events(seqpacket_t *s, int events);

static void on_poll(uv_poll_t *handle, int status, int events) {
  seqpacket_t *s = handle->data;
  if (s->closing) return;
  if (status < 0) {
    set_events(s, 0);
    emit_errno(s, -status);
    return;
  }
  if (events & UV_WRITABLE) {
    /* One notice per request: JS asks again when a send would block again. */
    set_events(s, s->events & ~UV_WRITABLE);
    emit(s, "writable", NULL);
    if (s->closing) return;
  }
  if (!(events & UV_READABLE) || !(s->events & UV_READABLE)) return;
  for (int i = 0; i < PACKETS_PER_WAKEUP && !s->closing && (s->events & UV_READABLE); i++) {
    char *buf = malloc(PACKET_MAX);
    if (!buf) {
      emit_errno(s, ENOMEM);
      return;
    }
    ssize_t n = recv(s->fd, buf, PACKET_MAX, MSG_DONTWAIT);
    if (n < 0) {
      int e = errno;
      free(buf);
      if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR) return;
      set_events(s, 0);
      if (e == ECONNRESET) emit(s, "end", NULL);
      else emit_errno(s, e);
      return;
    }
    if (n == 0) {
      free(buf);
      set_events(s, s->events & ~UV_READABLE);
      emit(s, "end", NULL);
      return;
    }
    napi_handle_scope scope;
    if (napi_open_handle_scope(s->env, &scope) != napi_ok) {
      free(buf);
      return;
    }
    napi_value data;
    void *dst;
    napi_status st = napi_create_buffer_copy(s->env, (size_t)n, buf, &dst, &data);
    free(buf);
    if (st == napi_ok) emit(s, "data", data);
    napi_close_handle_scope(s->env, scope);
  }
}

static void set_events(seqpacket_t *s, int events) {
  if (s->closing) return;
  s->events = events;
  if (events) uv_poll_start(&s->poll, events, on_poll);
  else uv_poll_stop(&s->poll);
}

static void on_closed(uv_handle_t *handle) {
  seqpacket_t *s = handle->data;
  close(s->fd);
  s->uv_closed = 1;
  if (s->js_gone) free(s);
}

/* Stop watching, drop the references that kept JS objects alive, close the fd once uv is done. */
static void seqpacket_close(seqpacket_t *s) {
  if (s->closing) return;
  s->closing = 1;
  uv_poll_stop(&s->poll);
  napi_env env = s->env;
  napi_delete_reference(env, s->callback);
  napi_async_destroy(env, s->ctx);
  napi_ref self = s->self;
  uv_close((uv_handle_t *)&s->poll, on_closed);
  napi_delete_reference(env, self);
}

/* The open handle in argv[0] of a call that takes `n` arguments (argv gets them all); NULL has thrown. */
static seqpacket_t *handle_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  size_t argc = n;
  void *p = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n ||
      napi_get_value_external(env, argv[0], &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "EINVAL", "slipway_native: expected a seqpacket handle and its arguments");
    return NULL;
  }
  seqpacket_t *s = p;
  if (s->closing) {
    throw_errno(env, EBADF, "seqpacket", "closed");
    return NULL;
  }
  return s;
}

/* Paths longer than sun_path (108 bytes) are reached through the parent directory's fd. */
static int connect_path(int fd, const char *path) {
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (strlen(path) < sizeof addr.sun_path) {
    strcpy(addr.sun_path, path);
    return connect(fd, (struct sockaddr *)&addr, sizeof addr);
  }
  char *d = strdup(path), *b = strdup(path);
  int rc = -1, e = ENOMEM;
  if (d && b) {
    int dir = open(dirname(d), O_PATH | O_CLOEXEC);
    if (dir < 0) e = errno;
    else {
      snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dir, basename(b));
      rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
      e = errno;
      close(dir);
    }
  }
  free(d);
  free(b);
  errno = e;
  return rc;
}

/* Only reached after close() dropped the strong reference (or at env teardown). */
static void finalize_handle(napi_env env, void *data, void *hint) {
  seqpacket_t *s = data;
  s->js_gone = 1;
  if (s->uv_closed) free(s);
}

/* seqpacketConnect(path, callback) -> handle. Reading starts at once. */
napi_value slipway_seqpacket_connect(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, "EINVAL", "slipway_native: seqpacketConnect(path, callback)");
    return NULL;
  }
  char path[4096];
  size_t len;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok || len >= sizeof path - 1) {
    napi_throw_type_error(env, "EINVAL", "slipway_native: socket path must be a string");
    return NULL;
  }
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) {
    napi_throw_type_error(env, "EINVAL", "slipway_native: callback must be a function");
    return NULL;
  }
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", path);
  /* A unix connect to a listening socket completes at once (it only waits on a full backlog). */
  if (connect_path(fd, path) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "connect", path);
  }
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, e, "fcntl", path);
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    close(fd);
    napi_throw_error(env, "EINVAL", "slipway_native: no event loop");
    return NULL;
  }
  seqpacket_t *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    return throw_errno(env, ENOMEM, "seqpacketConnect", path);
  }
  s->env = env;
  s->fd = fd;
  if (uv_poll_init(loop, &s->poll, fd) != 0) {
    close(fd);
    free(s);
    return throw_errno(env, EINVAL, "uv_poll_init", path);
  }
  s->poll.data = s;
  napi_value handle, name;
  napi_create_external(env, s, finalize_handle, NULL, &handle);
  napi_create_reference(env, handle, 1, &s->self);
  napi_create_reference(env, argv[1], 1, &s->callback);
  napi_create_string_utf8(env, "SlipwaySeqpacket", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, handle, name, &s->ctx);
  set_events(s, UV_READABLE);
  return handle;
}

/* seqpacketSend(handle, buffer) -> bytes sent as one packet, or -1 when it would block. */
napi_value slipway_seqpacket_send(napi_env env, napi_callback_info info) {
  napi_value argv[2], ret;
  seqpacket_t *s = handle_args(env, info, 2, argv);
  if (!s) return NULL;
  void *data;
  size_t len;
  bool isbuf = false;
  napi_is_buffer(env, argv[1], &isbuf);
  if (!isbuf || napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "slipway_native: data must be a Buffer");
    return NULL;
  }
  ssize_t n = send(s->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) return throw_errno(env, errno, "send", "attach socket");
    n = -1;
  }
  napi_create_int32(env, (int32_t)n, &ret);
  return ret;
}

/* seqpacketWatch(handle, readable, writable): what the next wakeups report. */
napi_value slipway_seqpacket_watch(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  seqpacket_t *s = handle_args(env, info, 3, argv);
  if (!s) return NULL;
  bool r = false, w = false;
  napi_get_value_bool(env, argv[1], &r);
  napi_get_value_bool(env, argv[2], &w);
  set_events(s, (r ? UV_READABLE : 0) | (w ? UV_WRITABLE : 0));
  return NULL;
}

/* seqpacketShutdown(handle): no more packets from us (the peer reads EOF). */
napi_value slipway_seqpacket_shutdown(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  seqpacket_t *s = handle_args(env, info, 1, argv);
  if (!s) return NULL;
  if (shutdown(s->fd, SHUT_WR) < 0 && errno != ENOTCONN) return throw_errno(env, errno, "shutdown", "attach socket");
  return NULL;
}

/* seqpacketClose(handle): idempotent; no callback runs after it. */
napi_value slipway_seqpacket_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  void *p = NULL;
  if (napi_get_value_external(env, argv[0], &p) == napi_ok && p) seqpacket_close(p);
  return NULL;
}
