// Every error the host raises. Codes are the names of the ErrorCode enum in
// proto/heddle/plugin/v1/errors.proto without the ERROR_CODE_ prefix; they are
// the stable strings the CLI prints and scripts match on.
import { ErrorCode, errorCodeToJSON, type Error as ProtoError } from "@heddle/sdk/gen/heddle/plugin/v1/errors";

type StripPrefix<K> = K extends `ERROR_CODE_${infer Name}` ? Name : never;

/**
 * The stable error code names: ErrorCode from errors.proto without its
 * ERROR_CODE_ prefix, derived from the generated enum so the table has one source.
 */
export type ErrorCodeName = Exclude<StripPrefix<keyof typeof ErrorCode>, "UNSPECIFIED">;

/** Extra facts an error may carry. */
export interface HostErrorDetails {
  /** The plugin (its heddle-plugin.json name) the error belongs to. */
  plugin?: string;
  /** The step, resource, command or file the error is about. */
  component?: string;
  /** JSON pointer of the offending config field (INVALID_CONFIG) or the manifest field. */
  field?: string;
  /** Stack trace from inside the plugin, in the plugin language's format. */
  pluginStack?: string;
  /** One sentence telling the user what to do about it. */
  hint?: string;
  /** The lower-level error that caused this one. */
  cause?: unknown;
}

/** Base class of every error the host raises: always has a stable `code`. */
export class HostError extends Error {
  readonly code: ErrorCodeName;
  readonly plugin?: string;
  readonly component?: string;
  readonly field?: string;
  readonly pluginStack?: string;
  readonly hint?: string;

  constructor(code: ErrorCodeName, message: string, details: HostErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.plugin = details.plugin;
    this.component = details.component;
    this.field = details.field;
    this.pluginStack = details.pluginStack;
    this.hint = details.hint;
  }
}

/** heddle-plugin.json is missing or malformed (MANIFEST_INVALID). */
export class ManifestError extends HostError {
  constructor(message: string, details: HostErrorDetails = {}) {
    super("MANIFEST_INVALID", message, details);
  }
}

/** The plugin could not be prepared or started: BUILD_FAILED, PLUGIN_START_*, HANDSHAKE_FAILED, *_MISMATCH. */
export class PluginStartError extends HostError {}

/** A call failed: the plugin answered with an Error, or the deadline/cancel/output check failed. */
export class PluginCallError extends HostError {}

/** The plugin process died (PLUGIN_CRASHED) or cannot be used any more (PLUGIN_UNAVAILABLE). */
export class PluginCrashError extends HostError {}

/**
 * The process picked for a call began stopping before the call was sent
 * (PLUGIN_UNAVAILABLE). The plugin retries such a call on the next process.
 */
export class ProcessStoppingError extends PluginCrashError {
  constructor(message: string, details: HostErrorDetails = {}) {
    super("PLUGIN_UNAVAILABLE", message, details);
  }
}

/** The gRPC connection to the plugin failed for another reason (TRANSPORT). */
export class TransportError extends HostError {
  constructor(message: string, details: HostErrorDetails = {}) {
    super("TRANSPORT", message, details);
  }
}

/** A CLI-level failure: USAGE, INPUT_READ_FAILED, OUTPUT_WRITE_FAILED. */
export class CliError extends HostError {}

/** Returns the stable name of a proto ErrorCode ("INVALID_CONFIG"); unknown numbers become INTERNAL. */
export function errorCodeName(code: ErrorCode | number): ErrorCodeName {
  const name = errorCodeToJSON(code as ErrorCode);
  if (!name.startsWith("ERROR_CODE_") || name === "ERROR_CODE_UNSPECIFIED") return "INTERNAL";
  return name.slice("ERROR_CODE_".length) as ErrorCodeName;
}

/**
 * Re-raises an Error message a plugin sent as a PluginCallError with its code
 * name. `fallbackComponent` names the step/resource when the plugin left it empty.
 */
export function fromPluginError(err: ProtoError, plugin: string, fallbackComponent?: string): PluginCallError {
  const code = errorCodeName(err.code);
  const message = err.message || `the plugin reported ${code} without a message`;
  return new PluginCallError(code, message, {
    plugin,
    component: err.component || fallbackComponent,
    field: err.field || undefined,
    pluginStack: err.stack || undefined,
    hint: hintFor(code),
  });
}

/** A short default hint per code, used when the raiser did not give a better one. */
export function hintFor(code: ErrorCodeName): string | undefined {
  switch (code) {
    case "INVALID_CONFIG": return "fix the config field named above (see `heddle-host describe` for the schema)";
    case "UNKNOWN_STEP": return "run `heddle-host describe <plugin>` to list its steps";
    case "UNKNOWN_COMMAND": return "run `heddle-host describe <plugin>` to list its commands";
    case "UNKNOWN_RESOURCE": return "run `heddle-host describe <plugin>` to list its resources";
    case "MISSING_RESOURCE": return "pass the resource binding the step needs (CLI: --resource NAME=JSON)";
    case "RESOURCE_NOT_OPEN": return "open the resource first and pass its instance id";
    case "STEP_FAILED": return "the step's own code raised; set HEDDLE_SHOW_STACK=1 to see the plugin's stack trace";
    case "COMMAND_FAILED": return "the command's own code raised; set HEDDLE_SHOW_STACK=1 to see the plugin's stack trace";
    case "INVALID_INPUT": return "check the input table's columns against the step's input schema";
    case "DEADLINE_EXCEEDED": return "raise the timeout (CLI: --timeout MS) or make the step faster";
    case "PLUGIN_CRASHED": return "read the plugin's last stderr lines above; the host restarts it automatically";
    case "PLUGIN_UNAVAILABLE": return "the plugin keeps crashing or was stopped: fix it and load it again";
    case "COOKIE_MISMATCH": return "start plugins through heddle-host, which sets HEDDLE_PLUGIN_COOKIE";
    case "PROTOCOL_MISMATCH": return "upgrade the plugin's SDK or the host so they share a protocol version";
    case "PLUGIN_START_TIMEOUT": return "raise startTimeoutMs in heddle-plugin.json or check why the plugin hangs at start";
    case "MANIFEST_INVALID": return "fix heddle-plugin.json (format: host/README.md)";
    case "INTERNAL": return "this is a bug in the SDK or host: please report it";
    default: return undefined;
  }
}

/** Wraps anything thrown into a HostError (unknown errors become INTERNAL). */
export function asHostError(err: unknown, details: HostErrorDetails = {}): HostError {
  if (err instanceof HostError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new HostError("INTERNAL", message, { ...details, cause: err, hint: hintFor("INTERNAL") });
}
