// Public API of @heddle/host.
export { PluginHost } from "./host.js";
export { TableRef } from "./data/table-ref.js";
export { DataLocalityRegistry, type RegistryOptions, type RegistrySnapshot, type GoneReport } from "./data/registry.js";
export type { Segment, SegmentProducer, SegmentLocation, SegmentSnapshot } from "./data/segment.js";
export type { InvokeInput, OutputMode } from "./data/call-data.js";
export { SegmentError } from "./data/errors.js";
export { readHostStates, type HostMemoryState } from "./data/state-file.js";
export { Plugin, type InvokeOptions, type FusedStage, type RunCommandOptions, type CommandResult } from "./plugin/plugin.js";
export type { LoadedPlugin } from "./plugin/loaded-plugin.js";
export { InProcessPlugin, loadInProcessPlugin, InProcessError, type InProcessLoadOptions } from "./inprocess/index.js";
export type { HostOptions, LoadOptions } from "./options.js";
export {
  HostError, ManifestError, PluginStartError, PluginCallError, PluginCrashError, ProcessStoppingError, TransportError, CliError,
  errorCodeName, type ErrorCodeName, type HostErrorDetails,
} from "./errors.js";
export { Logger, formatLogRecord, LOG_LEVELS, isLogLevel, type LogLevel, type LogRecord, type LogSink } from "./logger.js";
export { loadPluginJson, validatePluginJson, PLUGIN_JSON, RUNTIMES, type PluginJson, type Runtime } from "./manifest/plugin-json.js";
export type { PluginManifest, StepInfo, ResourceInfo, HandlerInfo, CommandInfo, ArrowField, JsonSchema } from "./manifest/decode.js";
export type { HandshakeInfo } from "./rpc/handshake.js";
export type { CommandOutcome } from "./rpc/run-command.js";
export { resolvePluginRef } from "./plugin-ref.js";
export { parseHandshakeLine } from "./process/handshake-line.js";
export { parseLogLine } from "./process/stderr-log.js";
export { encodeTable, decodeTableStrict, type TableInput } from "./arrow/ipc.js";
export { readTableInput, detectInputFormat, type InputFormat } from "./arrow/input-formats.js";
export { writeTableOutput, tableToJsonRows, type OutputFormat } from "./arrow/output-formats.js";
