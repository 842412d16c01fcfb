/* What the addon's source files share: errno -> JS error, and the seqpacket functions. */
#ifndef SLIPWAY_NATIVE_H
#define SLIPWAY_NATIVE_H
#include <node_api.h>

const char *errno_name(int e);
/* Throws `<syscall> <path>: <strerror>` with code = errno name, and returns NULL for the caller. */
napi_value throw_errno(napi_env env, int e, const char *syscall, const char *path);

napi_value slipway_seqpacket_connect(napi_env env, napi_callback_info info);
napi_value slipway_seqpacket_send(napi_env env, napi_callback_info info);
napi_value slipway_seqpacket_watch(napi_env env, napi_callback_info info);
napi_value slipway_seqpacket_shutdown(napi_env env, napi_callback_info info);
napi_value slipway_seqpacket_close(napi_env env, napi_callback_info info);
/* dirstat.c */
napi_value slipway_readdir_stats(napi_env env, napi_callback_info info);
napi_value slipway_readdir_fingerprint(napi_env env, napi_callback_info info);
#endif
