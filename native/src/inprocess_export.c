// Export: apache-arrow JS columns -> ArrowArrayStream, zero-copy. Each
// buffer pointer is the data of a JS typed array; a holder keeps a strong
// reference to every such ArrayBuffer until the consumer has released the
// stream and every batch it took (possibly long after the call, when the
// plugin's output still shares input buffers).
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "inprocess.h"

typedef struct {
  const uint8_t* base;  // start of the JS ArrayBuffer
  size_t len;           // its byte length
  napi_ref ref;         // strong reference to the ArrayBuffer
} pinned_t;

typedef struct holder {
  int refs;             // the stream + each batch handed out
  pinned_t* pins;
  size_t n_pins, cap_pins;
  int64_t n_fields;
  char** names;
  char** formats;
  int64_t* flags;
  struct ArrowArray* batches;  // prepared; moved out by get_next
  int64_t n_batches, next_batch;
  struct holder* next_live;    // list of live holders (import looks here)
  struct holder* next_deferred;
} holder_t;

typedef struct {
  holder_t* holder;
  struct ArrowArray* children;    // n_children structs
  struct ArrowArray** child_ptrs;
  const void** top_buffers;
  const void** child_buffers;     // 3 per child
} batch_private_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static holder_t* live = NULL;
static holder_t* deferred = NULL;
static int64_t live_count = 0;
static pthread_t js_thread;
static napi_env js_env = NULL;

static void holder_free(napi_env env, holder_t* h) {
  for (size_t i = 0; i < h->n_pins; i++) napi_delete_reference(env, h->pins[i].ref);
  for (int64_t i = 0; i < h->n_fields; i++) { free(h->names[i]); free(h->formats[i]); }
  free(h->pins); free(h->names); free(h->formats); free(h->flags); free(h->batches);
  free(h);
}

// Drops one reference. References to JS objects can only be deleted on the
// JS thread: a release from another thread (a plugin's call thread, or one
// of its own) defers the free and asks the JS thread to drain soon.
static void holder_unref(holder_t* h) {
  int defer = 0;
  pthread_mutex_lock(&lock);
  int last = --h->refs == 0;
  if (last) {
    for (holder_t** p = &live; *p; p = &(*p)->next_live) if (*p == h) { *p = h->next_live; break; }
    live_count--;
    if (!pthread_equal(pthread_self(), js_thread) || js_env == NULL) { h->next_deferred = deferred; deferred = h; last = 0; defer = 1; }
  }
  pthread_mutex_unlock(&lock);
  if (last) holder_free(js_env, h);
  if (defer) inproc_request_drain();
}

void inproc_drain_deferred(napi_env env) {
  js_env = env;
  js_thread = pthread_self();
  pthread_mutex_lock(&lock);
  holder_t* list = deferred; deferred = NULL;
  pthread_mutex_unlock(&lock);
  while (list) { holder_t* n = list->next_deferred; holder_free(env, list); list = n; }
}

int64_t inproc_live_exports(void) { return live_count; }

int inproc_find_exported(napi_env env, const void* ptr, size_t len, napi_value* buffer, size_t* byte_offset) {
  const uint8_t* p = (const uint8_t*)ptr;
  pthread_mutex_lock(&lock);
  for (holder_t* h = live; h; h = h->next_live) {
    for (size_t i = 0; i < h->n_pins; i++) {
      pinned_t* pin = &h->pins[i];
      if (p >= pin->base && p + len <= pin->base + pin->len) {
        napi_ref ref = pin->ref;
        *byte_offset = (size_t)(p - pin->base);
        pthread_mutex_unlock(&lock);
        return napi_get_reference_value(env, ref, buffer) == napi_ok && *buffer != NULL;
      }
    }
  }
  pthread_mutex_unlock(&lock);
  return 0;
}

// ---- the C Data / C Stream callbacks ----

// Children are freed with their parent; releasing one only marks it released.
static void release_child(struct ArrowArray* a) { a->release = NULL; }
static void release_child_schema(struct ArrowSchema* s) { s->release = NULL; }

static void release_batch(struct ArrowArray* a) {
  batch_private_t* bp = (batch_private_t*)a->private_data;
  holder_t* h = bp->holder;
  free(bp->children); free(bp->child_ptrs); free(bp->top_buffers); free(bp->child_buffers); free(bp);
  a->release = NULL;
  holder_unref(h);
}

static void release_schema(struct ArrowSchema* s) {
  for (int64_t i = 0; i < s->n_children; i++) {
    free((char*)s->children[i]->format); free((char*)s->children[i]->name); free(s->children[i]);
  }
  free(s->children);
  s->release = NULL;
}

static int get_schema(struct ArrowArrayStream* st, struct ArrowSchema* out) {
  holder_t* h = (holder_t*)st->private_data;
  // Copies: a consumer may keep the schema after the stream is gone.
  memset(out, 0, sizeof *out);
  out->format = "+s"; out->name = ""; out->n_children = h->n_fields;
  out->children = calloc((size_t)h->n_fields, sizeof(struct ArrowSchema*));
  for (int64_t i = 0; i < h->n_fields; i++) {
    struct ArrowSchema* c = calloc(1, sizeof *c);
    c->format = strdup(h->formats[i]); c->name = strdup(h->names[i]); c->flags = h->flags[i];
    c->release = release_child_schema;  // freed by the parent
    out->children[i] = c;
  }
  out->release = release_schema;
  return 0;
}

static int get_next(struct ArrowArrayStream* st, struct ArrowArray* out) {
  holder_t* h = (holder_t*)st->private_data;
  if (h->next_batch >= h->n_batches) { memset(out, 0, sizeof *out); return 0; }
  *out = h->batches[h->next_batch++];  // move: the stream no longer owns it
  return 0;
}

static const char* get_last_error(struct ArrowArrayStream* st) { (void)st; return NULL; }

static void release_stream(struct ArrowArrayStream* st) {
  holder_t* h = (holder_t*)st->private_data;
  // Batches never taken are released with the stream.
  while (h->next_batch < h->n_batches) {
    struct ArrowArray* a = &h->batches[h->next_batch++];
    a->release(a);
  }
  st->release = NULL;
  holder_unref(h);
}

// ---- building from the JS description ----

static napi_value prop(napi_env env, napi_value obj, const char* name) {
  napi_value v = NULL; napi_get_named_property(env, obj, name, &v); return v;
}
static int64_t prop_i64(napi_env env, napi_value obj, const char* name) {
  int64_t n = 0; napi_get_value_int64(env, prop(env, obj, name), &n); return n;
}
static char* prop_str(napi_env env, napi_value obj, const char* name) {
  size_t len = 0; napi_value v = prop(env, obj, name);
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return strdup("");
  char* s = malloc(len + 1); napi_get_value_string_utf8(env, v, s, len + 1, &len); return s;
}

// Pins a typed array's ArrayBuffer and returns its data pointer.
static const void* pin_typed_array(napi_env env, holder_t* h, napi_value ta) {
  napi_typedarray_type type; size_t length, byte_offset; void* data; napi_value ab;
  if (napi_get_typedarray_info(env, ta, &type, &length, &data, &ab, &byte_offset) != napi_ok) return NULL;
  void* ab_data; size_t ab_len;
  napi_get_arraybuffer_info(env, ab, &ab_data, &ab_len);
  for (size_t i = 0; i < h->n_pins; i++) if (h->pins[i].base == ab_data) return data;
  if (h->n_pins == h->cap_pins) {
    h->cap_pins = h->cap_pins ? 2 * h->cap_pins : 8;
    h->pins = realloc(h->pins, h->cap_pins * sizeof(pinned_t));
  }
  pinned_t* pin = &h->pins[h->n_pins++];
  pin->base = ab_data; pin->len = ab_len;
  napi_create_reference(env, ab, 1, &pin->ref);
  return data;
}

int inproc_export_stream(napi_env env, napi_value desc, struct ArrowArrayStream* out) {
  inproc_drain_deferred(env);
  holder_t* h = calloc(1, sizeof *h);
  napi_value fields = prop(env, desc, "fields"), batches = prop(env, desc, "batches");
  uint32_t nf = 0, nb = 0;
  napi_get_array_length(env, fields, &nf);
  napi_get_array_length(env, batches, &nb);
  h->n_fields = nf;
  h->names = calloc(nf, sizeof(char*)); h->formats = calloc(nf, sizeof(char*)); h->flags = calloc(nf, sizeof(int64_t));
  for (uint32_t i = 0; i < nf; i++) {
    napi_value f; napi_get_element(env, fields, i, &f);
    h->names[i] = prop_str(env, f, "name");
    h->formats[i] = prop_str(env, f, "format");
    bool nullable = false; napi_get_value_bool(env, prop(env, f, "nullable"), &nullable);
    h->flags[i] = nullable ? ARROW_FLAG_NULLABLE : 0;
  }
  h->n_batches = nb;
  h->batches = calloc(nb ? nb : 1, sizeof(struct ArrowArray));
  h->refs = 1 + (int)nb;
  for (uint32_t b = 0; b < nb; b++) {
    napi_value batch; napi_get_element(env, batches, b, &batch);
    napi_value columns = prop(env, batch, "columns");
    batch_private_t* bp = calloc(1, sizeof *bp);
    bp->holder = h;
    bp->children = calloc(nf ? nf : 1, sizeof(struct ArrowArray));
    bp->child_ptrs = calloc(nf ? nf : 1, sizeof(struct ArrowArray*));
    bp->top_buffers = calloc(1, sizeof(void*));
    bp->child_buffers = calloc(3 * (nf ? nf : 1), sizeof(void*));
    for (uint32_t c = 0; c < nf; c++) {
      napi_value col; napi_get_element(env, columns, c, &col);
      napi_value bufs = prop(env, col, "buffers");
      uint32_t n_buffers = 0; napi_get_array_length(env, bufs, &n_buffers);
      if (n_buffers > 3) n_buffers = 3;
      struct ArrowArray* a = &bp->children[c];
      a->length = prop_i64(env, col, "length");
      a->null_count = prop_i64(env, col, "nullCount");
      a->offset = prop_i64(env, col, "offset");
      a->n_buffers = n_buffers;
      a->buffers = &bp->child_buffers[3 * c];
      for (uint32_t k = 0; k < n_buffers; k++) {
        napi_value v; napi_valuetype t; napi_get_element(env, bufs, k, &v); napi_typeof(env, v, &t);
        a->buffers[k] = (t == napi_object) ? pin_typed_array(env, h, v) : NULL;
      }
      a->release = release_child;
      bp->child_ptrs[c] = a;
    }
    struct ArrowArray* top = &h->batches[b];
    top->length = prop_i64(env, batch, "length");
    top->n_buffers = 1; top->buffers = bp->top_buffers;
    top->n_children = nf; top->children = bp->child_ptrs;
    top->release = release_batch; top->private_data = bp;
  }
  pthread_mutex_lock(&lock);
  h->next_live = live; live = h; live_count++;
  pthread_mutex_unlock(&lock);
  out->get_schema = get_schema; out->get_next = get_next; out->get_last_error = get_last_error;
  out->release = release_stream; out->private_data = h;
  return 0;
}
