// heddle_native: the few system calls Node 20 lacks for the zero-copy data
// plane — map a file (tmpfs segment, spill file or a user's Arrow file) into an
// ArrayBuffer that unmaps itself when garbage-collected, and create a
// writable shared segment a producer can fill in place.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  void* base;
  size_t size;
} mapping_t;

static void unmap_finalizer(napi_env env, void* data, void* hint) {
  (void)env; (void)data;
  mapping_t* m = (mapping_t*)hint;
  munmap(m->base, m->size);
  free(m);
}

static napi_value throw_errno(napi_env env, const char* what, const char* path) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s %s: %s", what, path, strerror(errno));
  napi_throw_error(env, errno == ENOENT ? "SEGMENT_NOT_FOUND" : "SHM_UNAVAILABLE", msg);
  return NULL;
}

static int get_path(napi_env env, napi_value v, char* buf, size_t cap) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, cap, &len) != napi_ok || len == 0 || len >= cap - 1) {
    napi_throw_type_error(env, "USAGE", "path must be a non-empty string under 4096 bytes");
    return 0;
  }
  return 1;
}

static int get_u64(napi_env env, napi_value v, uint64_t* out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d < 0 || d > 9007199254740991.0) {
    napi_throw_type_error(env, "USAGE", "offset and length must be non-negative safe integers");
    return 0;
  }
  *out = (uint64_t)d;
  return 1;
}

// Maps [offset, offset+length) of `path` and wraps it in an external ArrayBuffer.
static napi_value make_mapping(napi_env env, const char* path, int fd, uint64_t offset, uint64_t length, int writable) {
  long page = sysconf(_SC_PAGESIZE);
  uint64_t start = offset - (offset % (uint64_t)page);
  size_t size = (size_t)(offset - start + length);
  void* base = size == 0 ? NULL : mmap(NULL, size, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, (off_t)start);
  int saved = errno;
  close(fd);
  errno = saved;
  if (base == MAP_FAILED) return throw_errno(env, "cannot map", path);
  mapping_t* m = malloc(sizeof *m);
  m->base = base;
  m->size = size;
  napi_value ab;
  void* data = size == 0 ? NULL : (char*)base + (offset - start);
  if (size == 0) {
    free(m);
    napi_create_arraybuffer(env, 0, NULL, &ab);
    return ab;
  }
  if (napi_create_external_arraybuffer(env, data, (size_t)length, unmap_finalizer, m, &ab) != napi_ok) {
    munmap(base, size);
    free(m);
    napi_throw_error(env, "SHM_UNAVAILABLE", "cannot wrap the mapping in an ArrayBuffer");
    return NULL;
  }
  return ab;
}

// mapReadOnly(path, offset, length) -> ArrayBuffer over the file's bytes, no copy.
static napi_value map_read_only(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[4096];
  uint64_t offset, length;
  if (argc < 3 || !get_path(env, argv[0], path, sizeof path) || !get_u64(env, argv[1], &offset) || !get_u64(env, argv[2], &length)) return NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "cannot open", path);
  struct stat st;
  if (fstat(fd, &st) != 0) { close(fd); return throw_errno(env, "cannot stat", path); }
  if ((uint64_t)st.st_size < offset + length) {
    close(fd);
    char msg[600];
    snprintf(msg, sizeof msg, "segment %s is truncated: %llu bytes, the handle asks for %llu..%llu", path,
             (unsigned long long)st.st_size, (unsigned long long)offset, (unsigned long long)(offset + length));
    napi_throw_error(env, "SEGMENT_INVALID", msg);
    return NULL;
  }
  return make_mapping(env, path, fd, offset, length, 0);
}

// createSegment(path, length) -> writable ArrayBuffer over a new file of that size (O_EXCL).
static napi_value create_segment(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[4096];
  uint64_t length;
  if (argc < 2 || !get_path(env, argv[0], path, sizeof path) || !get_u64(env, argv[1], &length)) return NULL;
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return throw_errno(env, "cannot create", path);
  if (ftruncate(fd, (off_t)length) != 0) {
    int saved = errno;
    close(fd);
    unlink(path);
    errno = saved;
    return throw_errno(env, "cannot size", path);
  }
  return make_mapping(env, path, fd, 0, length, 1);
}

// release(arrayBuffer) -> boolean: detaches a mapping's ArrayBuffer now (every view of it becomes
// empty) so the mapping goes without waiting for the garbage collector, which large external
// ArrayBuffers otherwise drive into back-to-back full collections. False when it is not detachable.
static napi_value release_mapping(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_ab = false, detached = false;
  if (argc < 1 || napi_is_arraybuffer(env, argv[0], &is_ab) != napi_ok || !is_ab) {
    napi_throw_type_error(env, "USAGE", "release(arrayBuffer): expected the ArrayBuffer of a mapping");
    return NULL;
  }
  napi_is_detached_arraybuffer(env, argv[0], &detached);
  napi_value out;
  if (detached) {
    napi_get_boolean(env, true, &out);
    return out;
  }
  napi_get_boolean(env, napi_detach_arraybuffer(env, argv[0]) == napi_ok, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"mapReadOnly", NULL, map_read_only, NULL, NULL, NULL, napi_default, NULL},
    {"createSegment", NULL, create_segment, NULL, NULL, NULL, napi_default, NULL},
    {"release", NULL, release_mapping, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
