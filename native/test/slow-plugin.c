/*
 * A tiny native plugin in C for the tests (built by them with cc): step
 * "echo" answers with its input stream itself (moved, not copied), "sleep"
 * naps 1 ms at a time for config {"ms": N}, "fail" fails. Built with
 * -DHEDDLE_CANCELLABLE it also exports heddle_invoke_cancellable, and "sleep"
 * then stops as soon as the host sets the cancel flag or `deadline_ms` runs
 * out; without it, it is a library that only has heddle_invoke.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../include/heddle_plugin.h"

#define ERR(code, msg) "{\"code\":\"" code "\",\"message\":\"" msg "\",\"component\":\"slow.sleep\"}"

uint32_t heddle_plugin_abi_version(void) { return HEDDLE_PLUGIN_ABI_VERSION; }

int32_t heddle_describe(char** manifest_json) {
  *manifest_json = strdup(
      "{\"namespace\":\"slow\",\"version\":\"0.1.0\",\"steps\":["
      "{\"name\":\"echo\",\"takesInput\":true},{\"name\":\"sleep\",\"takesInput\":true},{\"name\":\"fail\"}]}");
  return 0;
}

int32_t heddle_open_resource(const char* kind, const char* config_json, char** instance_id, char** error_json) {
  (void)kind; (void)config_json; (void)instance_id;
  *error_json = strdup("{\"code\":\"UNKNOWN_RESOURCE\",\"message\":\"this plugin has no resources\"}");
  return 1;
}

int32_t heddle_close_resource(const char* instance_id, char** error_json) {
  (void)instance_id;
  *error_json = strdup("{\"code\":\"RESOURCE_NOT_OPEN\",\"message\":\"this plugin has no resources\"}");
  return 1;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int32_t run(const char* step, const char* config_json, struct ArrowArrayStream* in, struct ArrowArrayStream* out,
                   const volatile int32_t* cancel, uint32_t deadline_ms, char** error_json) {
  memset(out, 0, sizeof *out);
  if (strcmp(step, "echo") == 0) {
    if (!in) { *error_json = strdup(ERR("INVALID_INPUT", "echo needs an input")); return 1; }
    *out = *in;  // move: the host gets its own stream back
    in->release = NULL;
    return 0;
  }
  if (in && in->release) in->release(in);  // the other steps do not read their input
  if (strcmp(step, "sleep") == 0) {
    const char* p = config_json ? strstr(config_json, "\"ms\":") : NULL;
    double until = now_ms() + (p ? atof(p + 5) : 0);
    double deadline = deadline_ms ? now_ms() + deadline_ms : 0;
    struct timespec nap = {0, 1000000};
    while (now_ms() < until) {
      if (cancel && *cancel == HEDDLE_CANCEL_CANCELLED) { *error_json = strdup(ERR("CANCELLED", "slow.sleep was cancelled")); return 1; }
      if ((cancel && *cancel == HEDDLE_CANCEL_DEADLINE) || (deadline && now_ms() >= deadline)) {
        *error_json = strdup(ERR("DEADLINE_EXCEEDED", "slow.sleep ran past its deadline"));
        return 1;
      }
      nanosleep(&nap, NULL);
    }
    return 0;  // a sink: out->release stays NULL
  }
  if (strcmp(step, "fail") == 0) { *error_json = strdup(ERR("STEP_FAILED", "failing as asked")); return 1; }
  *error_json = strdup("{\"code\":\"UNKNOWN_STEP\",\"message\":\"no such step\"}");
  return 1;
}

int32_t heddle_invoke(const char* step, const char* config_json, const char* resources_json,
                      struct ArrowArrayStream* in, struct ArrowArrayStream* out, char** error_json) {
  (void)resources_json;
  return run(step, config_json, in, out, NULL, 0, error_json);
}

#ifdef HEDDLE_CANCELLABLE
int32_t heddle_invoke_cancellable(const char* step, const char* config_json, const char* resources_json,
                                  struct ArrowArrayStream* in, struct ArrowArrayStream* out,
                                  const volatile int32_t* cancel, uint32_t deadline_ms, char** error_json) {
  (void)resources_json;
  return run(step, config_json, in, out, cancel, deadline_ms, error_json);
}
#endif

void heddle_free_string(char* s) { free(s); }
