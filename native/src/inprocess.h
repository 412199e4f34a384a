// Shared declarations of the in-process addon (heddle_inprocess.node):
// apache-arrow JS columns <-> Arrow C Stream without copying buffers.
#ifndef HEDDLE_INPROCESS_H
#define HEDDLE_INPROCESS_H
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include "../include/heddle_plugin.h"

// Throws a JS Error whose `code` is a Heddle ErrorCode name; returns NULL.
napi_value inproc_throw(napi_env env, const char* code, const char* fmt, ...);

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
#endif
