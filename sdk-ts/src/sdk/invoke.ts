// The Invoke pipeline shared by unary Invoke and InvokeStream: the request
// checks in the exact order of docs/protocol.md §5.1 (step exists, config,
// resources, input), then the step under cancellation, then the output check.
import * as arrow from "apache-arrow";
import { StepContext } from "../core/context.js";
import { HeddleError, InvalidOutputError } from "../core/errors.js";
import { decodeIpc } from "../core/ipc.js";
import { readSegment } from "../core/shm.js";
import type { StepDefinition } from "../core/step.js";
import { Table } from "../core/table.js";
import type { Error as ProtoError } from "../gen/heddle/plugin/v1/errors.js";
import type { SharedMemoryRef } from "../gen/heddle/plugin/v1/data.js";
import type { InvokeHeader } from "../gen/heddle/plugin/v1/invoke.js";
import type { CallControl } from "./calls.js";
import { type InputBytes, encodeStepOutput } from "./output.js";
import type { PluginRuntime } from "./runtime.js";
import { type ErrorPhase, toProtoError } from "./proto-error.js";

/** What a call produced: encoded output (absent for a sink) or an error. */
export interface InvokeOutcome {
  /** Output as Arrow IPC stream bytes, when the step returned a table sent by value. */
  ipc?: Uint8Array;
  /** Output as a segment this process wrote, when it was sent by handle (§8.2). */
  shm?: SharedMemoryRef;
  /** Row count of the output. */
  rows: number;
  error?: ProtoError;
  /** Time spent from the start of the call, in microseconds. */
  durationUs: number;
}

/** A call that passed checks 1–3 (its input is checked when it arrives). */
export interface CheckedCall {
  definition: StepDefinition;
  config: Record<string, unknown>;
  resources: Record<string, unknown>;
  /** InvokeHeader.shm_output_threshold: outputs at least this big go by handle (0 = never). */
  shmOutputThreshold: number;
}

/**
 * Checks 1–3 of §5.1 for a call header. Throws UNKNOWN_STEP, INVALID_CONFIG,
 * MISSING_RESOURCE or RESOURCE_NOT_OPEN as a HeddleError.
 */
export function checkCall(runtime: PluginRuntime, header: InvokeHeader): CheckedCall {
  const definition = runtime.definitions.callables.get(header.step);
  if (!definition) {
    const known = [...runtime.definitions.callables.keys()].sort().join(", ") || "none";
    throw new HeddleError(
      "UNKNOWN_STEP",
      `plugin "${runtime.definitions.namespace}" has no step or handler "${header.step}"; it has: ${known}`,
      { component: header.step },
    );
  }
  const config = definition.schema.parseJson(header.configJson);
  const label = `${definition.kind} "${definition.name}"`;
  const resources = runtime.instances.resolveBindings(label, definition.bindings, header.resources);
  return { definition, config, resources, shmOutputThreshold: header.shmOutputThreshold };
}

/** A decoded input table and the IPC bytes it was read from (absent when the call sent none). */
export interface DecodedInput {
  table: arrow.Table;
  bytes?: InputBytes;
}

/** Where a call's input is: IPC stream bytes received, or a segment to map. */
export type InputSource = { ipc: Uint8Array } | { shm: SharedMemoryRef };

/**
 * Check 4 of §5.1: decodes the input for the step. Steps that take no input,
 * and calls that send none, get an empty table (no columns, no rows); a step
 * with a declared input schema then fails its column check. A segment is
 * mapped read-only and read in place. Throws INVALID_INPUT when the bytes are
 * not Arrow IPC or lack declared columns, SEGMENT_NOT_FOUND / SEGMENT_INVALID /
 * SHM_UNAVAILABLE when a segment cannot be mapped or decoded.
 */
export function decodeInput(definition: StepDefinition, source: InputSource | undefined): DecodedInput {
  if (!definition.takesInput || source === undefined) {
    const empty = new arrow.Table();
    if (definition.takesInput) definition.checkInput(empty);
    return { table: empty };
  }
  if ("shm" in source) {
    const { table, bytes } = readSegment(source.shm);
    definition.checkInput(table);
    return { table, bytes: { ipc: bytes, format: "file" } };
  }
  const table = decodeIpc(source.ipc, `input of ${definition.kind} "${definition.name}"`);
  definition.checkInput(table);
  return { table, bytes: { ipc: source.ipc, format: "stream" } };
}

/**
 * Runs a checked call: builds the context, calls the step under the call's
 * cancellation and validates and encodes what it returned. Never throws: every
 * failure is in the outcome. Ends the call's registration when plugin code settles.
 */
export async function runCheckedCall(
  runtime: PluginRuntime,
  checked: CheckedCall,
  input: DecodedInput,
  control: CallControl,
  startedAt: number,
): Promise<InvokeOutcome> {
  const { definition, config, resources } = checked;
  if (definition.injectedBinding !== undefined) config.resource = resources[definition.injectedBinding];
  const logger = runtime.logger.child({ call_id: control.callId, [definition.kind]: definition.name });
  const ctx = new StepContext({ callId: control.callId, signal: control.signal, deadline: control.deadline, logger, resources, step: definition.name });
  const outcome = await runtime.runPluginCode(control, () => definition.fn(config, Table.fromArrow(input.table), ctx));
  if (!outcome.ok) return failed(outcome.error, definition.name, "plugin-code", startedAt);
  try {
    const table = outputTable(definition, outcome.value);
    if (!table) return { rows: 0, durationUs: elapsedUs(startedAt) };
    // A step that returns its input table unchanged (echo, pass-through, log) gets
    // the received bytes sent back instead of a re-encoding: tables are immutable.
    const unchanged = table === input.table ? input.bytes : undefined;
    const encoded = encodeStepOutput(definition, table, unchanged, checked.shmOutputThreshold, runtime.segments);
    const shm = encoded.shm ? { ...encoded.shm } : undefined;
    return { ipc: encoded.ipc, shm, rows: table.numRows, durationUs: elapsedUs(startedAt) };
  } catch (err) {
    return failed(err, definition.name, "checks", startedAt);
  }
}

/** An outcome for an error raised at `phase`; plain errors become STEP_FAILED from plugin code, INTERNAL otherwise. */
export function failed(err: unknown, component: string, phase: ErrorPhase, startedAt: number): InvokeOutcome {
  const fallback = phase === "plugin-code" ? "STEP_FAILED" : "INTERNAL";
  return { rows: 0, error: toProtoError(err, fallback, component, phase), durationUs: elapsedUs(startedAt) };
}

/** Microseconds since `startedAt` (a performance.now() value). */
export function elapsedUs(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 1000);
}

/**
 * The apache-arrow table a step returned, or undefined for a sink. Throws
 * INVALID_OUTPUT for anything else, or for a table not matching the declared output schema.
 */
function outputTable(definition: StepDefinition, value: unknown): arrow.Table | undefined {
  if (value === null || value === undefined) return undefined;
  const table = value instanceof Table ? value.arrow : value instanceof arrow.Table ? value : undefined;
  if (!table) {
    throw new InvalidOutputError(
      `${definition.kind} "${definition.name}" returned ${describeValue(value)}, not a table: return a Table (Table.fromRows, Table.fromArrow, input.withColumn...) or null for no output`,
      { component: definition.name },
    );
  }
  definition.checkOutput(table);
  return table;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an object (${(value as object).constructor?.name ?? "Object"})`;
  return `a ${typeof value}`;
}
