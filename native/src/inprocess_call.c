// invoke off the JS thread: each call runs on a thread of its own (not the
// libuv pool: a plugin call that ignores a cancel must not starve the host's
// file I/O), and its answer comes back to the JS thread through a
// threadsafe function, where the output stream is imported (import needs
// napi). The input stream is built on the JS thread before the call starts;
// releases the plugin makes from its thread are deferred (inprocess_export.c)
// and drained here.
//
// Cancel and deadline: the caller passes an Int32Array(1) as the call's flag;
// cancel(flag, code) stores 1 (cancelled) or 2 (deadline) in it, which a
// library with heddle_invoke_cancellable watches. The flag stays referenced
// until the native call has returned, so the library may read it to the end.
// A running call keeps the process alive, even once its caller gave up on it:
// exiting would free JS memory the plugin's thread may still be reading.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "inprocess.h"

typedef struct call {
  library_t* lib;
  char *step, *config, *resources;
  struct ArrowArrayStream in, out;
  int has_input;
  const volatile int32_t* cancel;  // the caller's flag, or `no_cancel`
  napi_ref cancel_ref;             // keeps the flag's memory alive until the call ends
  uint32_t deadline_ms;
  int32_t rc;                      // written by the call thread
  char* err;                       // written by the call thread
  napi_deferred deferred;
  napi_threadsafe_function done;
} call_t;

static const int32_t no_cancel = 0;
// Calls started and not completed (JS thread only).
static int64_t running_count = 0;
// Wakes the JS thread to free input holders released on other threads.
static napi_threadsafe_function drain_fn = NULL;
static int drain_pending = 0;

// Thread stack for plugin code: as the main thread's usual 8 MiB, whatever
// the default pthread stack is.
#define CALL_STACK_BYTES (8u << 20)

static void call_free(napi_env env, call_t* c) {
  if (c->cancel_ref) napi_delete_reference(env, c->cancel_ref);
  free(c->step); free(c->config); free(c->resources);
  free(c);
}

static void* run_call(void* arg) {
  call_t* c = (call_t*)arg;
  struct ArrowArrayStream* in = c->has_input ? &c->in : NULL;
  if (c->lib->invoke_cancellable) {
    c->rc = c->lib->invoke_cancellable(c->step, c->config, c->resources, in, &c->out, c->cancel, c->deadline_ms, &c->err);
  } else {
    c->rc = c->lib->invoke(c->step, c->config, c->resources, in, &c->out, &c->err);
  }
  // `c` belongs to the JS thread (complete frees it) from the moment it is queued.
  napi_threadsafe_function done = c->done;
  // napi_closing: the process is exiting and the call's memory goes with it.
  if (napi_call_threadsafe_function(done, c, napi_tsfn_blocking) == napi_ok) {
    napi_release_threadsafe_function(done, napi_tsfn_release);
  }
  return NULL;
}

static napi_value named_string(napi_env env, const char* s) {
  napi_value v; napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v); return v;
}

// On the JS thread once the native call has returned: settles the promise.
static void complete(napi_env env, napi_value js_cb, void* context, void* data) {
  (void)js_cb; (void)context;
  call_t* c = (call_t*)data;
  running_count--;
  if (env == NULL) return;  // the environment is being torn down
  // A well-behaved library took the input (moved it out); release it if not.
  if (c->in.release) c->in.release(&c->in);
  napi_value result, v;
  napi_create_object(env, &result);
  int failed = c->rc != 0 || c->err != NULL;
  int abandoned = *c->cancel != 0;  // the caller already has its answer
  int rejected = 0;
  if (failed || abandoned) {
    if (c->out.release) c->out.release(&c->out);
  }
  if (failed) {
    v = c->err ? inproc_take_string(env, c->lib, c->err)
               : named_string(env, "{\"code\":\"INTERNAL\",\"message\":\"the plugin failed without an error\"}");
    napi_set_named_property(env, result, "error", v);
  } else if (abandoned) {
    napi_get_boolean(env, true, &v);
    napi_set_named_property(env, result, "abandoned", v);
  } else if (c->out.release == NULL) {
    napi_get_null(env, &v);
    napi_set_named_property(env, result, "output", v);
  } else if ((v = inproc_import_stream(env, &c->out)) != NULL) {
    napi_set_named_property(env, result, "output", v);
  } else {
    rejected = 1;
    napi_get_and_clear_last_exception(env, &result);
  }
  if (rejected) napi_reject_deferred(env, c->deferred, result);
  else napi_resolve_deferred(env, c->deferred, result);
  call_free(env, c);
  inproc_drain_deferred(env);
}

static int read_flag(napi_env env, napi_value v, call_t* c) {
  napi_valuetype t; napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) return 0;
  bool is = false; napi_is_typedarray(env, v, &is);
  napi_typedarray_type type; size_t length = 0; void* data = NULL;
  if (is) napi_get_typedarray_info(env, v, &type, &length, &data, NULL, NULL);
  if (!is || type != napi_int32_array || length < 1) {
    inproc_throw(env, "USAGE", "invoke: the cancel flag must be an Int32Array of length 1, or null");
    return -1;
  }
  c->cancel = (const volatile int32_t*)data;
  napi_create_reference(env, v, 1, &c->cancel_ref);
  return 0;
}

napi_value inproc_invoke(napi_env env, napi_callback_info info) {
  size_t argc = 7; napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5) return inproc_throw(env, "USAGE", "invoke(handle, step, configJson, resourcesJson, input, cancelFlag?, deadlineMs?)");
  library_t* lib = inproc_get_library(env, argv[0]); if (!lib) return NULL;
  inproc_drain_deferred(env);
  call_t* c = calloc(1, sizeof *c);
  c->lib = lib; c->cancel = &no_cancel;
  c->step = inproc_arg_string(env, argv[1]);
  c->config = inproc_arg_string(env, argv[2]);
  c->resources = inproc_arg_string(env, argv[3]);
  if (!c->step) { call_free(env, c); return inproc_throw(env, "USAGE", "invoke: step must be a string"); }
  if (argc > 5 && read_flag(env, argv[5], c) != 0) { call_free(env, c); return NULL; }
  double ms = 0;
  if (argc > 6) napi_get_value_double(env, argv[6], &ms);
  c->deadline_ms = ms <= 0 ? 0 : ms >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)(ms + 0.5);
  // The input last: nothing above can fail once buffers are pinned.
  napi_valuetype t; napi_typeof(env, argv[4], &t);
  c->has_input = t == napi_object;
  if (c->has_input && inproc_export_stream(env, argv[4], &c->in) != 0) { call_free(env, c); return NULL; }
  napi_value promise;
  napi_create_promise(env, &c->deferred, &promise);
  int started = -1;
  if (napi_create_threadsafe_function(env, NULL, NULL, named_string(env, "heddle_invoke"), 0, 1, NULL, NULL, NULL, complete, &c->done) == napi_ok) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, CALL_STACK_BYTES);
    pthread_t thread;
    running_count++;
    started = pthread_create(&thread, &attr, run_call, c);
    pthread_attr_destroy(&attr);
    if (started != 0) {
      running_count--;
      napi_release_threadsafe_function(c->done, napi_tsfn_abort);
    }
  }
  if (started != 0) {
    if (c->in.release) c->in.release(&c->in);
    napi_value err;
    napi_create_error(env, named_string(env, "PLUGIN_UNAVAILABLE"),
                      named_string(env, "could not start a thread for the native call (out of threads or memory); retry when fewer calls run"), &err);
    napi_reject_deferred(env, c->deferred, err);
    call_free(env, c);
  }
  return promise;
}

napi_value inproc_cancel(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is = false;
  if (argc == 2) napi_is_typedarray(env, argv[0], &is);
  napi_typedarray_type type; size_t length = 0; void* data = NULL;
  if (is) napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL);
  int32_t code = 0;
  if (!is || type != napi_int32_array || length < 1 || napi_get_value_int32(env, argv[1], &code) != napi_ok ||
      (code != HEDDLE_CANCEL_CANCELLED && code != HEDDLE_CANCEL_DEADLINE)) {
    return inproc_throw(env, "USAGE", "cancel(flag, code): flag is the call's Int32Array(1), code 1 (cancelled) or 2 (deadline)");
  }
  __atomic_store_n((int32_t*)data, code, __ATOMIC_SEQ_CST);
  return NULL;
}

napi_value inproc_running_calls(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v; napi_create_int64(env, running_count, &v);
  return v;
}

static void drain_js(napi_env env, napi_value js_cb, void* context, void* data) {
  (void)js_cb; (void)context; (void)data;
  __atomic_store_n(&drain_pending, 0, __ATOMIC_SEQ_CST);
  if (env != NULL) inproc_drain_deferred(env);
}

static void drain_finalized(napi_env env, void* data, void* hint) {
  (void)env; (void)data; (void)hint;
  drain_fn = NULL;
}

void inproc_request_drain(void) {
  napi_threadsafe_function fn = drain_fn;
  if (fn == NULL || __atomic_exchange_n(&drain_pending, 1, __ATOMIC_SEQ_CST)) return;
  if (napi_call_threadsafe_function(fn, NULL, napi_tsfn_nonblocking) != napi_ok) __atomic_store_n(&drain_pending, 0, __ATOMIC_SEQ_CST);
}

void inproc_calls_init(napi_env env) {
  if (drain_fn) return;
  napi_create_threadsafe_function(env, NULL, NULL, named_string(env, "heddle_drain"), 0, 1, NULL, drain_finalized, NULL, drain_js, &drain_fn);
  napi_unref_threadsafe_function(env, drain_fn);  // never keeps the process alive
}
