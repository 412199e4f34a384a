// Import: ArrowArrayStream -> JS description of apache-arrow columns,
// zero-copy. Each C buffer becomes an external ArrayBuffer over the
// producer's memory; the batch's release runs when the last of its
// ArrayBuffers is garbage-collected. Buffers that are JS memory we exported
// ourselves (a plugin passing an input column through) come back as the
// original ArrayBuffer: V8 must never see two backing stores at one address.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "inprocess.h"

typedef struct {
  struct ArrowArray array;  // moved here from the stream
  int refs;                 // external ArrayBuffers still alive
} batch_holder_t;

static void batch_unref(batch_holder_t* b) {
  if (--b->refs == 0) {
    if (b->array.release) b->array.release(&b->array);
    free(b);
  }
}

static void finalize_external(napi_env env, void* data, void* hint) {
  (void)env; (void)data;
  batch_unref((batch_holder_t*)hint);
}

// Byte width of a fixed-width format, 0 for bool ("b"), -1 for utf8 ("u"),
// -2 for large utf8 ("U"), -3 when unsupported.
static int format_width(const char* f) {
  if (!f) return -3;
  if (!strcmp(f, "c") || !strcmp(f, "C")) return 1;
  if (!strcmp(f, "s") || !strcmp(f, "S")) return 2;
  if (!strcmp(f, "i") || !strcmp(f, "I") || !strcmp(f, "f") || !strcmp(f, "tdD")) return 4;
  if (!strcmp(f, "l") || !strcmp(f, "L") || !strcmp(f, "g") || !strcmp(f, "tdm")) return 8;
  if (!strncmp(f, "ts", 2) && strlen(f) >= 4 && f[3] == ':') return 8;  // timestamp[unit, tz]
  if (!strcmp(f, "b")) return 0;
  if (!strcmp(f, "u")) return -1;
  if (!strcmp(f, "U")) return -2;
  return -3;
}

// One buffer as {buffer, byteOffset, byteLength}, or null.
static napi_value wrap_buffer(napi_env env, batch_holder_t* bh, const void* ptr, size_t len) {
  napi_value obj, ab, v;
  if (ptr == NULL) { napi_get_null(env, &obj); return obj; }
  size_t byte_offset = 0;
  if (len == 0) {
    void* unused; napi_create_arraybuffer(env, 0, &unused, &ab);
  } else if (!inproc_find_exported(env, ptr, len, &ab, &byte_offset)) {
    if (napi_create_external_arraybuffer(env, (void*)ptr, len, finalize_external, bh, &ab) != napi_ok) {
      inproc_throw(env, "INTERNAL", "could not wrap a %zu-byte plugin buffer as an ArrayBuffer", len);
      return NULL;
    }
    bh->refs++;
  }
  napi_create_object(env, &obj);
  napi_set_named_property(env, obj, "buffer", ab);
  napi_create_int64(env, (int64_t)byte_offset, &v); napi_set_named_property(env, obj, "byteOffset", v);
  napi_create_int64(env, (int64_t)len, &v); napi_set_named_property(env, obj, "byteLength", v);
  return obj;
}

static void set_i64(napi_env env, napi_value obj, const char* name, int64_t n) {
  napi_value v; napi_create_int64(env, n, &v); napi_set_named_property(env, obj, name, v);
}

// Describes one column of a batch; NULL (with an exception) on failure.
static napi_value import_column(napi_env env, batch_holder_t* bh, const char* format, const struct ArrowArray* a) {
  int width = format_width(format);
  int64_t end = a->offset + a->length;
  size_t sizes[3] = {0, 0, 0};
  int n = 2;
  sizes[0] = (size_t)((end + 7) / 8);
  if (width > 0) sizes[1] = (size_t)end * (size_t)width;
  else if (width == 0) sizes[1] = (size_t)((end + 7) / 8);
  else {
    n = 3;
    int ow = width == -1 ? 4 : 8;
    sizes[1] = (size_t)(end + 1) * ow;
    if (a->buffers[1] == NULL || a->buffers[2] == NULL) sizes[2] = 0;
    else sizes[2] = width == -1 ? (size_t)((const int32_t*)a->buffers[1])[end] : (size_t)((const int64_t*)a->buffers[1])[end];
  }
  if (a->n_buffers != n || a->n_children != 0) {
    inproc_throw(env, "INVALID_OUTPUT", "a column of format %s has %lld buffers and %lld children; expected %d and 0",
                 format, (long long)a->n_buffers, (long long)a->n_children, n);
    return NULL;
  }
  napi_value col, bufs;
  napi_create_object(env, &col);
  set_i64(env, col, "length", a->length);
  set_i64(env, col, "nullCount", a->null_count);
  set_i64(env, col, "offset", a->offset);
  napi_create_array_with_length(env, (size_t)n, &bufs);
  for (int k = 0; k < n; k++) {
    const void* ptr = (k == 0 && a->null_count == 0) ? NULL : a->buffers[k];
    napi_value b = wrap_buffer(env, bh, ptr, sizes[k]);
    if (!b) return NULL;
    napi_set_element(env, bufs, (uint32_t)k, b);
  }
  napi_set_named_property(env, col, "buffers", bufs);
  return col;
}

napi_value inproc_import_stream(napi_env env, struct ArrowArrayStream* st) {
  struct ArrowSchema schema;
  memset(&schema, 0, sizeof schema);
  napi_value result = NULL, fields, batches;
  if (st->get_schema(st, &schema) != 0) {
    const char* why = st->get_last_error ? st->get_last_error(st) : NULL;
    inproc_throw(env, "INVALID_OUTPUT", "the plugin's output stream has no schema: %s", why ? why : "unknown error");
    goto done;
  }
  if (strcmp(schema.format, "+s") != 0) {
    inproc_throw(env, "INVALID_OUTPUT", "the plugin's output stream is of format %s; a table must be a struct (+s)", schema.format);
    goto done;
  }
  napi_create_array_with_length(env, (size_t)schema.n_children, &fields);
  for (int64_t i = 0; i < schema.n_children; i++) {
    const struct ArrowSchema* c = schema.children[i];
    if (format_width(c->format) == -3) {
      inproc_throw(env, "UNSUPPORTED", "column %s has Arrow type format %s, which in-process calls do not support yet "
                   "(supported: int8-64, uint8-64, float32/64, bool, utf8, large utf8, date, timestamp)", c->name, c->format);
      goto done;
    }
    napi_value f, v; napi_create_object(env, &f);
    napi_create_string_utf8(env, c->name ? c->name : "", NAPI_AUTO_LENGTH, &v); napi_set_named_property(env, f, "name", v);
    napi_create_string_utf8(env, c->format, NAPI_AUTO_LENGTH, &v); napi_set_named_property(env, f, "format", v);
    napi_get_boolean(env, (c->flags & ARROW_FLAG_NULLABLE) != 0, &v); napi_set_named_property(env, f, "nullable", v);
    napi_set_element(env, fields, (uint32_t)i, f);
  }
  napi_create_array(env, &batches);
  for (uint32_t b = 0;; b++) {
    batch_holder_t* bh = calloc(1, sizeof *bh);
    if (st->get_next(st, &bh->array) != 0) {
      free(bh);
      const char* why = st->get_last_error ? st->get_last_error(st) : NULL;
      inproc_throw(env, "INVALID_OUTPUT", "reading the plugin's output stream failed: %s", why ? why : "unknown error");
      goto done;
    }
    if (bh->array.release == NULL) { free(bh); break; }  // end of stream
    bh->refs = 1;  // held while we build; dropped below
    napi_value batch, cols;
    napi_create_object(env, &batch);
    set_i64(env, batch, "length", bh->array.length);
    napi_create_array_with_length(env, (size_t)bh->array.n_children, &cols);
    int ok = bh->array.n_children == schema.n_children;
    if (!ok) inproc_throw(env, "INVALID_OUTPUT", "a batch has %lld columns, the schema %lld", (long long)bh->array.n_children, (long long)schema.n_children);
    for (int64_t i = 0; ok && i < schema.n_children; i++) {
      napi_value col = import_column(env, bh, schema.children[i]->format, bh->array.children[i]);
      if (!col) { ok = 0; break; }
      napi_set_element(env, cols, (uint32_t)i, col);
    }
    batch_unref(bh);
    if (!ok) goto done;
    napi_set_named_property(env, batch, "columns", cols);
    napi_set_element(env, batches, b, batch);
  }
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "fields", fields);
  napi_set_named_property(env, result, "batches", batches);
done:
  if (schema.release) schema.release(&schema);
  if (st->release) st->release(st);
  return result;
}
