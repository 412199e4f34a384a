// Public API of @heddle/sdk: write Heddle Host plugins in TypeScript.
// See README.md for a walkthrough and docs/protocol.md for the wire contract.

export { z } from "zod";
export * as arrow from "apache-arrow";

export { Plugin, type PluginOptions } from "./sdk/plugin.js";
export { serve, type ServingPlugin } from "./sdk/serve.js";
export type { ServeOptions } from "./sdk/options.js";
export { HANDSHAKE_COOKIE, MAX_UNARY_OUTPUT_BYTES } from "./sdk/options.js";
export type { PluginDefinitions } from "./sdk/manifest.js";

export { Table, type Row } from "./core/table.js";
export type { ColumnType, ColumnTypeName, SchemaSpec } from "./core/column-types.js";
export { toArrowSchema, toDataType } from "./core/column-types.js";
export { StepContext, CallContext, type CallInfo } from "./core/context.js";
export type { StepOptions, StepFunction, StepResult, StepConfigOf, BindingSpec, ResourceBinding } from "./core/step.js";
export type { ResourceOptions, ResourceFactory, ResourceContext, ResourceHandle, ResourceRef } from "./core/resource.js";
export { type HandlerOptions, type ErrorRecord, ERRORS_TABLE_SCHEMA, errorsTable } from "./core/handler.js";
export { CommandContext, type CommandOptions, type CommandFunction, type ClusterInfo, type ExecutionModeName, type LineWriter } from "./core/command.js";
export {
  HeddleError,
  InvalidConfigError,
  InvalidInputError,
  InvalidOutputError,
  CancelledError,
  DeadlineExceededError,
  ResourceInitError,
  UnsupportedError,
  PluginDefinitionError,
  SegmentInvalidError,
  SegmentNotFoundError,
  ShmUnavailableError,
  type ErrorCodeName,
  type HeddleErrorOptions,
  errorCodeNumber,
  isErrorCodeName,
} from "./core/errors.js";
export { Logger, type LogLevel, type LogFields, type LoggerOptions, LOG_LEVELS, levelFromEnv } from "./core/logger.js";
export { ConfigSchema } from "./core/schema.js";
export { encodeIpcStream, decodeIpc, chunkIpc, MAX_CHUNK_BYTES } from "./core/ipc.js";
export { SDK_NAME, SDK_VERSION, SDK_LANGUAGE, SUPPORTED_PROTOCOL_VERSIONS, SDK_CAPABILITIES } from "./version.js";

/** The generated PluginService (server definition and client); kept for existing imports. */
export * as proto from "./gen/heddle/plugin/v1/plugin.js";
