// Shared declarations of the in-process addon (heddle_inprocess.node):
// apache-arrow JS columns <-> Arrow C Stream without copying buffers.
#ifndef HEDDLE_INPROCESS_H
#define HEDDLE_INPROCESS_H
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include "../include/heddle_plugin.h"

// A loaded plugin library: its ABI entry points (invoke_cancellable may be
// NULL: it is optional). Never freed: the library is never unloaded.
typedef struct {
  void* handle;
  uint32_t (*abi_version)(void);
  int32_t (*describe)(char**);
  int32_t (*open_resource)(const char*, const char*, char**, char**);
  int32_t (*close_resource)(const char*, char**);
  int32_t (*invoke)(const char*, const char*, const char*, struct ArrowArrayStream*, struct ArrowArrayStream*, char**);
  int32_t (*invoke_cancellable)(const char*, const char*, const char*, struct ArrowArrayStream*, struct ArrowArrayStream*,
                                const volatile int32_t*, uint32_t, char**);
  void (*free_string)(char*);
} library_t;

// Throws a JS Error whose `code` is a Heddle ErrorCode name; returns NULL.
napi_value inproc_throw(napi_env env, const char* code, const char* fmt, ...);

// The library behind a handle from open(), or NULL after throwing USAGE.
library_t* inproc_get_library(napi_env env, napi_value v);

// A malloc'ed copy of a JS string, or NULL when `v` is not a string.
char* inproc_arg_string(napi_env env, napi_value v);

// A JS string of `s` (null for NULL), freeing `s` with the library's free_string.
napi_value inproc_take_string(napi_env env, library_t* lib, char* s);

// invoke(handle, step, configJson, resourcesJson, input | null, cancelFlag | null, deadlineMs)
//   -> Promise<{error: json} | {output: desc | null} | {abandoned: true}>
// Runs the call on a thread of its own (inprocess_call.c).
napi_value inproc_invoke(napi_env env, napi_callback_info info);

// cancel(cancelFlag, code): stores code (1 cancelled, 2 deadline) in a call's flag.
napi_value inproc_cancel(napi_env env, napi_callback_info info);

// runningCalls() -> number of invokes whose native call has not returned yet.
napi_value inproc_running_calls(napi_env env, napi_callback_info info);

// Sets up the calls' shared state (once, on the JS thread at load).
void inproc_calls_init(napi_env env);

// Builds a stream over the JS description {fields, batches} (see
// lib/arrow-c.js). Buffers are the JS typed arrays' own memory; they stay
// referenced until the consumer releases every batch and the stream.
// Returns 0, or throws and returns -1.
int inproc_export_stream(napi_env env, napi_value desc, struct ArrowArrayStream* out);

// Reads a whole stream into a JS description {fields, batches}; each buffer
// is {buffer, byteOffset, byteLength} over the producer's memory (an
// external ArrayBuffer that releases its batch when collected, or the JS
// ArrayBuffer we exported earlier). Consumes (releases) the stream. Throws
// (UNSUPPORTED, INVALID_OUTPUT) and returns NULL on failure.
napi_value inproc_import_stream(napi_env env, struct ArrowArrayStream* stream);

// Finds a live exported JS ArrayBuffer holding [ptr, ptr+len); sets
// *buffer and *byte_offset and returns 1, or returns 0.
int inproc_find_exported(napi_env env, const void* ptr, size_t len, napi_value* buffer, size_t* byte_offset);

// Number of exported holders whose consumer has not released them yet.
int64_t inproc_live_exports(void);

// Frees what releases on other threads deferred (napi calls need the JS thread).
void inproc_drain_deferred(napi_env env);

// Asks the JS thread to run inproc_drain_deferred soon (callable from any
// thread; a no-op before inproc_calls_init or while the process exits).
void inproc_request_drain(void);
#endif
