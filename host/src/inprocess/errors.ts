// Errors of in-process plugins: host errors with the stable codes, and the
// plugin's JSON errors (heddle_plugin.h) turned into PluginCallErrors.
import { HostError, PluginCallError, type ErrorCodeName, type HostErrorDetails } from "../errors.js";

/** An error raised by the host side of an in-process call (UNSUPPORTED, BUILD_FAILED, PLUGIN_UNAVAILABLE, ...). */
export class InProcessError extends HostError {
  constructor(code: ErrorCodeName, message: string, details: HostErrorDetails = {}) {
    super(code, message, details);
    this.name = "InProcessError";
  }
}

/** Turns an error JSON from the library into a PluginCallError (INTERNAL when the JSON is unreadable). */
export function fromPluginJson(json: string, plugin: string): PluginCallError {
  try {
    const e = JSON.parse(json) as { code?: string; message?: string; component?: string; field?: string; stack?: string };
    return new PluginCallError((e.code ?? "INTERNAL") as ErrorCodeName, e.message ?? json, {
      plugin, component: e.component, field: e.field, pluginStack: e.stack,
    });
  } catch {
    return new PluginCallError("INTERNAL", `the native plugin answered an unreadable error: ${json}`, { plugin });
  }
}

/** Re-raises an addon exception (an Error with a `code`) as an InProcessError. */
export function fromAddonError(err: unknown, plugin: string): InProcessError {
  const e = err as { code?: string; message?: string };
  return new InProcessError((e.code ?? "INTERNAL") as ErrorCodeName, e.message ?? String(err), { plugin, cause: err });
}
