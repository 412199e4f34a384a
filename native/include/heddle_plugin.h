/*
 * heddle_plugin.h: the C ABI of an in-process Heddle plugin (ABI version 1).
 *
 * A native plugin is a shared library (a Rust cdylib built with the Rust SDK's
 * `export_plugin!`, or any library exporting these symbols) that the host
 * dlopens. Tables cross as Arrow C Streams (Arrow C Stream Interface), so no
 * byte is copied or serialised. See docs/in-process.md.
 *
 * Conventions:
 *  - Functions return 0 on success, non-zero on failure.
 *  - Every string the library returns is NUL-terminated UTF-8 and is freed
 *    by the host with heddle_free_string.
 *  - An error is JSON: {"code": "<ErrorCode name>", "message": "...",
 *    "component"?: "ns.step", "field"?: "/json/pointer", "stack"?: "..."},
 *    codes from proto/heddle/plugin/v1/errors.proto without ERROR_CODE_.
 *  - Threads: the host calls heddle_describe, heddle_open_resource and
 *    heddle_close_resource on its main thread, and runs each heddle_invoke /
 *    heddle_invoke_cancellable on a thread of its own, so invokes may overlap
 *    each other and the resource calls: a library must be thread-safe (the
 *    Rust SDK's is). The release callbacks of an input stream and its arrays
 *    may be called from any thread.
 */
#ifndef HEDDLE_PLUGIN_H
#define HEDDLE_PLUGIN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE
#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;
  void (*release)(struct ArrowSchema*);
  void* private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;
  void (*release)(struct ArrowArray*);
  void* private_data;
};
#endif

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE
struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
  const char* (*get_last_error)(struct ArrowArrayStream*);
  void (*release)(struct ArrowArrayStream*);
  void* private_data;
};
#endif

/* The ABI version the library implements; the host refuses others. */
#define HEDDLE_PLUGIN_ABI_VERSION 1
uint32_t heddle_plugin_abi_version(void);

/* Writes the manifest (protobuf-JSON mapping of heddle.plugin.v1.Manifest:
 * lowerCamelCase keys, Arrow schemas as base64 IPC) into *manifest_json.
 * On failure *manifest_json holds an error JSON instead. */
int32_t heddle_describe(char** manifest_json);

/* Opens an instance of resource `kind` with `config_json` (a JSON object;
 * NULL = "{}"). Sets *instance_id, or *error_json (UNKNOWN_RESOURCE,
 * INVALID_CONFIG, RESOURCE_INIT_FAILED). */
int32_t heddle_open_resource(const char* kind, const char* config_json, char** instance_id, char** error_json);

/* Closes an instance. Sets *error_json on failure (RESOURCE_NOT_OPEN). */
int32_t heddle_close_resource(const char* instance_id, char** error_json);

/* Runs `step`. `resources_json` maps binding -> instance id (NULL = none).
 * `in` may be NULL (no input); otherwise the library takes ownership of the
 * stream (it calls in->release, possibly after this returns if the output
 * still references input buffers). On success `*out` is the output stream,
 * owned by the host (out->release == NULL for a step without output). On
 * failure *error_json is set (UNKNOWN_STEP, INVALID_CONFIG, MISSING_RESOURCE,
 * RESOURCE_NOT_OPEN, INVALID_INPUT, STEP_FAILED, ...). */
int32_t heddle_invoke(const char* step, const char* config_json, const char* resources_json,
                      struct ArrowArrayStream* in, struct ArrowArrayStream* out, char** error_json);

/* Optional. As heddle_invoke, plus `cancel`: the host stores 1 there when the
 * caller cancels and 2 when the call's deadline passes (0 while running), from
 * another thread. The library should watch it (e.g. poll every ms) and end the
 * call with CANCELLED (1) or DEADLINE_EXCEEDED (2). `deadline_ms` is the time
 * left in ms when the call starts, 0 = none (the step's context deadline).
 * `*cancel` stays readable until this function returns. A library without
 * this symbol gets heddle_invoke: the host then still answers its caller at
 * the deadline or cancel, but the call runs on to its end. */
int32_t heddle_invoke_cancellable(const char* step, const char* config_json, const char* resources_json,
                                  struct ArrowArrayStream* in, struct ArrowArrayStream* out,
                                  const volatile int32_t* cancel, uint32_t deadline_ms, char** error_json);

/* Values the host stores in heddle_invoke_cancellable's `*cancel`. */
#define HEDDLE_CANCEL_NONE 0
#define HEDDLE_CANCEL_CANCELLED 1
#define HEDDLE_CANCEL_DEADLINE 2

/* Frees a string returned by this library. NULL is ignored. */
void heddle_free_string(char* s);

#ifdef __cplusplus
}
#endif
#endif /* HEDDLE_PLUGIN_H */
