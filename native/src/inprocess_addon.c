// heddle_inprocess: loads a native Heddle plugin (a shared library
// exporting heddle_plugin.h) into the Node process and calls it, passing
// tables as Arrow C Streams (inprocess_export.c / inprocess_import.c).
// describe/openResource/closeResource run on the JS thread (they are quick);
// invoke runs each call on a thread of its own (inprocess_call.c).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "inprocess.h"

napi_value inproc_throw(napi_env env, const char* code, const char* fmt, ...) {
  char msg[1024];
  va_list ap; va_start(ap, fmt); vsnprintf(msg, sizeof msg, fmt, ap); va_end(ap);
  napi_throw_error(env, code, msg);
  return NULL;
}

char* inproc_arg_string(napi_env env, napi_value v) {
  napi_valuetype t; napi_typeof(env, v, &t);
  if (t != napi_string) return NULL;
  size_t len = 0; napi_get_value_string_utf8(env, v, NULL, 0, &len);
  char* s = malloc(len + 1); napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

napi_value inproc_take_string(napi_env env, library_t* lib, char* s) {
  napi_value v;
  if (!s) { napi_get_null(env, &v); return v; }
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  lib->free_string(s);
  return v;
}

library_t* inproc_get_library(napi_env env, napi_value v) {
  void* p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || !p) inproc_throw(env, "USAGE", "expected a library handle from open()");
  return (library_t*)p;
}

// open(path) -> handle. The library stays loaded for the life of the
// process: arrays it produced may outlive any "close".
static napi_value lib_open(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char* path = argc ? inproc_arg_string(env, argv[0]) : NULL;
  if (!path) return inproc_throw(env, "USAGE", "open(path): path must be a string");
  void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) { napi_value r = inproc_throw(env, "PLUGIN_START_FAILED", "cannot load native plugin %s: %s", path, dlerror()); free(path); return r; }
  library_t* lib = calloc(1, sizeof *lib);
  lib->handle = h;
#define SYM(field, name) *(void**)(&lib->field) = dlsym(h, name); \
  if (!lib->field) { free(lib); napi_value r = inproc_throw(env, "HANDSHAKE_FAILED", "%s does not export %s: build it with the SDK's export_plugin! (see docs/in-process.md)", path, name); free(path); return r; }
  SYM(abi_version, "heddle_plugin_abi_version")
  SYM(describe, "heddle_describe")
  SYM(open_resource, "heddle_open_resource")
  SYM(close_resource, "heddle_close_resource")
  SYM(invoke, "heddle_invoke")
  SYM(free_string, "heddle_free_string")
#undef SYM
  // Optional (heddle_plugin.h): without it, deadlines and cancels cannot reach the call.
  *(void**)(&lib->invoke_cancellable) = dlsym(h, "heddle_invoke_cancellable");
  uint32_t version = lib->abi_version();
  if (version != HEDDLE_PLUGIN_ABI_VERSION) {
    free(lib);
    napi_value r = inproc_throw(env, "PROTOCOL_MISMATCH", "%s implements in-process ABI version %u; this host speaks %d: rebuild it with a matching SDK", path, version, HEDDLE_PLUGIN_ABI_VERSION);
    free(path); return r;
  }
  free(path);
  napi_value out; napi_create_external(env, lib, NULL, NULL, &out);
  return out;
}

// describe(handle) -> {ok: boolean, json: string}
static napi_value lib_describe(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  library_t* lib = inproc_get_library(env, argv[0]); if (!lib) return NULL;
  char* json = NULL;
  int32_t rc = lib->describe(&json);
  napi_value out, v; napi_create_object(env, &out);
  napi_get_boolean(env, rc == 0, &v); napi_set_named_property(env, out, "ok", v);
  napi_set_named_property(env, out, "json", inproc_take_string(env, lib, json));
  return out;
}

// openResource(handle, kind, configJson) -> {instanceId} | {error: json}
static napi_value lib_open_resource(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  library_t* lib = inproc_get_library(env, argv[0]); if (!lib) return NULL;
  char *kind = inproc_arg_string(env, argv[1]), *config = inproc_arg_string(env, argv[2]), *id = NULL, *err = NULL;
  if (!kind) return inproc_throw(env, "USAGE", "openResource: kind must be a string");
  lib->open_resource(kind, config, &id, &err);
  free(kind); free(config);
  napi_value out; napi_create_object(env, &out);
  if (err) napi_set_named_property(env, out, "error", inproc_take_string(env, lib, err));
  if (id) napi_set_named_property(env, out, "instanceId", inproc_take_string(env, lib, id));
  return out;
}

// closeResource(handle, id) -> error json | null
static napi_value lib_close_resource(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  library_t* lib = inproc_get_library(env, argv[0]); if (!lib) return NULL;
  char *id = inproc_arg_string(env, argv[1]), *err = NULL;
  if (!id) return inproc_throw(env, "USAGE", "closeResource: instance id must be a string");
  lib->close_resource(id, &err);
  free(id);
  return inproc_take_string(env, lib, err);
}

// address(arrayBufferOrView) -> bigint: where its bytes live (tests check zero-copy with it).
static napi_value lib_address(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void* data = NULL; bool is;
  napi_is_arraybuffer(env, argv[0], &is);
  if (is) { size_t len; napi_get_arraybuffer_info(env, argv[0], &data, &len); }
  else {
    napi_is_typedarray(env, argv[0], &is);
    if (!is) return inproc_throw(env, "USAGE", "address: expected an ArrayBuffer or a typed array");
    napi_typedarray_type tt; size_t len, off; napi_value ab;
    napi_get_typedarray_info(env, argv[0], &tt, &len, &data, &ab, &off);
  }
  napi_value v; napi_create_bigint_uint64(env, (uint64_t)(uintptr_t)data, &v);
  return v;
}

// liveExports() -> number of exported streams not fully released by plugins yet.
static napi_value lib_live_exports(napi_env env, napi_callback_info info) {
  (void)info;
  inproc_drain_deferred(env);
  napi_value v; napi_create_int64(env, inproc_live_exports(), &v);
  return v;
}

static napi_value init(napi_env env, napi_value exports) {
  inproc_drain_deferred(env);  // records the JS thread
  inproc_calls_init(env);
  napi_property_descriptor props[] = {
    {"open", NULL, lib_open, NULL, NULL, NULL, napi_default, NULL},
    {"describe", NULL, lib_describe, NULL, NULL, NULL, napi_default, NULL},
    {"openResource", NULL, lib_open_resource, NULL, NULL, NULL, napi_default, NULL},
    {"closeResource", NULL, lib_close_resource, NULL, NULL, NULL, napi_default, NULL},
    {"invoke", NULL, inproc_invoke, NULL, NULL, NULL, napi_default, NULL},
    {"cancel", NULL, inproc_cancel, NULL, NULL, NULL, napi_default, NULL},
    {"runningCalls", NULL, inproc_running_calls, NULL, NULL, NULL, napi_default, NULL},
    {"address", NULL, lib_address, NULL, NULL, NULL, napi_default, NULL},
    {"liveExports", NULL, lib_live_exports, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
