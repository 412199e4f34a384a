// The manifest (docs/protocol.md §3), built once from a plugin's definitions
// when it starts serving, so Describe costs nothing per call.
import type { CommandDefinition, ExecutionModeName } from "../core/command.js";
import { encodeSchemaOnly } from "../core/ipc.js";
import type { ResourceDefinition } from "../core/resource.js";
import type { StepDefinition } from "../core/step.js";
import { ExecutionMode, type Manifest } from "../gen/heddle/plugin/v1/manifest.js";

/** Read-only view of what a plugin registered (implemented by Plugin). */
export interface PluginDefinitions {
  readonly namespace: string;
  readonly version: string;
  readonly description: string;
  /** Resource kinds by name. */
  readonly resources: ReadonlyMap<string, ResourceDefinition>;
  /** Steps and error handlers by name (one name space: Invoke names either). */
  readonly callables: ReadonlyMap<string, StepDefinition>;
  /** Heimdall commands by name. */
  readonly commands: ReadonlyMap<string, CommandDefinition>;
}

const executionModes: Record<ExecutionModeName, ExecutionMode> = {
  sync: ExecutionMode.EXECUTION_MODE_SYNC,
  async: ExecutionMode.EXECUTION_MODE_ASYNC,
  both: ExecutionMode.EXECUTION_MODE_BOTH,
};

/** Builds the proto Manifest of a plugin. */
export function buildManifest(plugin: PluginDefinitions): Manifest {
  const callables = [...plugin.callables.values()];
  return {
    namespace: plugin.namespace,
    version: plugin.version,
    description: plugin.description,
    resources: [...plugin.resources.values()].map((r) => ({
      name: r.kind,
      description: r.description,
      configSchemaJson: r.schema.jsonText,
    })),
    steps: callables
      .filter((c) => c.kind === "step")
      .map((s) => ({
        name: s.name,
        description: s.description,
        configSchemaJson: s.schema.jsonText,
        resources: s.bindings.map((b) => ({ binding: b.binding, kind: b.kind, optional: b.optional })),
        inputSchema: s.inputSchema ? Buffer.from(encodeSchemaOnly(s.inputSchema)) : Buffer.alloc(0),
        outputSchema: s.outputSchema ? Buffer.from(encodeSchemaOnly(s.outputSchema)) : Buffer.alloc(0),
        takesInput: s.takesInput,
      })),
    handlers: callables
      .filter((c) => c.kind === "handler")
      .map((h) => ({
        name: h.name,
        description: h.description,
        configSchemaJson: h.schema.jsonText,
        resources: h.bindings.map((b) => ({ binding: b.binding, kind: b.kind, optional: b.optional })),
      })),
    commands: [...plugin.commands.values()].map((c) => ({
      name: c.name,
      description: c.description,
      contextSchemaJson: c.contextSchema.jsonText,
      mode: executionModes[c.mode],
      clusterTypes: [...c.clusterTypes],
      clusterContextSchemaJson: c.clusterContextSchema?.jsonText ?? "",
    })),
  };
}
