// Turns the protobuf Manifest from Describe into plain JSON-friendly objects:
// config schemas parsed, Arrow schemas as field lists, enums as words.
import { tableFromIPC } from "apache-arrow";
import { ExecutionMode, type Manifest } from "@heddle/sdk/gen/heddle/plugin/v1/manifest";

/** A JSON Schema object (draft 2020-12). */
export type JsonSchema = Record<string, unknown>;

/** One column of an Arrow schema. */
export interface ArrowField {
  name: string;
  /** Arrow's type name, e.g. `Int64`, `Utf8`, `Timestamp<MILLISECOND>`. */
  type: string;
  nullable: boolean;
}

/** A resource binding a step or handler needs. */
export interface ResourceRequirement {
  binding: string;
  kind: string;
  optional: boolean;
}

/** A resource kind the plugin provides. */
export interface ResourceInfo {
  name: string;
  description: string;
  configSchema: JsonSchema;
}

/** A step: its config schema, resource bindings and table schemas. */
export interface StepInfo {
  name: string;
  description: string;
  configSchema: JsonSchema;
  resources: ResourceRequirement[];
  /** Null when the schema is not known before the call. */
  inputSchema: ArrowField[] | null;
  outputSchema: ArrowField[] | null;
  takesInput: boolean;
}

/** An error handler (called like a step with a table of errors). */
export interface HandlerInfo {
  name: string;
  description: string;
  configSchema: JsonSchema;
  resources: ResourceRequirement[];
}

/** A Heimdall command. */
export interface CommandInfo {
  name: string;
  description: string;
  contextSchema: JsonSchema;
  mode: "sync" | "async" | "both" | "unspecified";
  clusterTypes: string[];
  clusterContextSchema: JsonSchema | null;
}

/** The decoded manifest of a plugin (protocol §3). */
export interface PluginManifest {
  namespace: string;
  version: string;
  description: string;
  resources: ResourceInfo[];
  steps: StepInfo[];
  handlers: HandlerInfo[];
  commands: CommandInfo[];
}

/** The schema an empty `config_schema_json` stands for: accepts `{}` only (protocol §3). */
export const EMPTY_OBJECT_SCHEMA: JsonSchema = Object.freeze({ type: "object", properties: {}, additionalProperties: false });

/** Decodes a Manifest. Schemas that do not parse are kept as `{ "$invalid": text }` so describe still works. */
export function decodeManifest(m: Manifest): PluginManifest {
  return {
    namespace: m.namespace,
    version: m.version,
    description: m.description,
    resources: m.resources.map((r) => ({ name: r.name, description: r.description, configSchema: parseSchema(r.configSchemaJson) })),
    steps: m.steps.map((s) => ({
      name: s.name,
      description: s.description,
      configSchema: parseSchema(s.configSchemaJson),
      resources: s.resources.map((r) => ({ binding: r.binding, kind: r.kind, optional: r.optional })),
      inputSchema: decodeArrowSchema(s.inputSchema),
      outputSchema: decodeArrowSchema(s.outputSchema),
      takesInput: s.takesInput,
    })),
    handlers: m.handlers.map((h) => ({
      name: h.name,
      description: h.description,
      configSchema: parseSchema(h.configSchemaJson),
      resources: h.resources.map((r) => ({ binding: r.binding, kind: r.kind, optional: r.optional })),
    })),
    commands: m.commands.map((c) => ({
      name: c.name,
      description: c.description,
      contextSchema: parseSchema(c.contextSchemaJson),
      mode: modeName(c.mode),
      clusterTypes: [...c.clusterTypes],
      clusterContextSchema: c.clusterContextSchemaJson ? parseSchema(c.clusterContextSchemaJson) : null,
    })),
  };
}

/** Parses a config schema; "" means the empty-object schema. */
export function parseSchema(text: string): JsonSchema {
  if (!text) return { ...EMPTY_OBJECT_SCHEMA };
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as JsonSchema;
  } catch {
    // fall through: keep the text so the user can see what the plugin sent
  }
  return { $invalid: text };
}

/** Decodes an Arrow schema sent as an IPC stream holding only the schema message; empty bytes → null. */
export function decodeArrowSchema(bytes: Uint8Array): ArrowField[] | null {
  if (!bytes || bytes.length === 0) return null;
  try {
    const table = tableFromIPC(bytes);
    return table.schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable }));
  } catch {
    return null;
  }
}

function modeName(mode: ExecutionMode): CommandInfo["mode"] {
  switch (mode) {
    case ExecutionMode.EXECUTION_MODE_SYNC: return "sync";
    case ExecutionMode.EXECUTION_MODE_ASYNC: return "async";
    case ExecutionMode.EXECUTION_MODE_BOTH: return "both";
    default: return "unspecified";
  }
}
