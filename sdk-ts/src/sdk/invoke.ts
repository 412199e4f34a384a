// The Invoke pipeline shared by unary Invoke and InvokeStream: the request
// checks in the exact order of docs/protocol.md §5.1 (step exists, config,
// resources, input) for the step and each fused stage, then the steps under
// cancellation, then the output check and encoding.
import * as arrow from "apache-arrow";
import { HeddleError } from "../core/errors.js";
import { decodeIpc } from "../core/ipc.js";
import { readSegment, releaseSegmentBytes } from "../core/shm.js";
import type { StepDefinition } from "../core/step.js";
import type { Error as ProtoError } from "../gen/heddle/plugin/v1/errors.js";
import type { SharedMemoryRef } from "../gen/heddle/plugin/v1/data.js";
import type { InvokeHeader } from "../gen/heddle/plugin/v1/invoke.js";
import type { CallControl } from "./calls.js";
import { type CheckedStep, StageFailure, checkStep, runSteps } from "./fused.js";
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

/** A call that passed checks 1–3 for its step and every fused stage (its input is checked when it arrives). */
export interface CheckedCall extends CheckedStep {
  /** The fused stages of InvokeHeader.then, checked, in order (§5.4). */
  then: CheckedStep[];
  /** InvokeHeader.shm_output_threshold: outputs at least this big go by handle (0 = never). */
  shmOutputThreshold: number;
}

/**
 * Checks 1–3 of §5.1 for a call header: its step, then each stage of `then`
 * in order, before anything runs. Throws a StageFailure naming the failing
 * step that holds UNKNOWN_STEP, INVALID_CONFIG, MISSING_RESOURCE or RESOURCE_NOT_OPEN.
 */
export function checkCall(runtime: PluginRuntime, header: InvokeHeader): CheckedCall {
  const first = checkStep(runtime, header.step, header.configJson, header.resources);
  const then = header.then.map((stage) => checkStep(runtime, stage.step, stage.configJson, stage.resources));
  return { ...first, then, shmOutputThreshold: header.shmOutputThreshold };
}

/** The name of the step whose output a call answers with: the last fused stage, or the step itself. */
export function lastStepName(checked: CheckedCall): string {
  return (checked.then.at(-1) ?? checked).definition.name;
}

/** A decoded input table and the IPC bytes it was read from (absent when the call sent none). */
export interface DecodedInput {
  table: arrow.Table;
  bytes?: InputBytes;
}

/** Where a call's input is: IPC stream bytes received, or a segment to map. */
export type InputSource = { ipc: Uint8Array } | { shm: SharedMemoryRef };

/**
 * The input a call's header announces. Where a `streamed` input's bytes are
 * depends on the lane, so `streamed` gives them (or throws where the lane
 * carries none). Throws INVALID_INPUT for an unknown kind.
 */
export function announcedInput(header: InvokeHeader, streamed: () => Uint8Array): InputSource | undefined {
  const kind = header.input?.kind;
  switch (kind?.$case) {
    case undefined:
      return undefined;
    case "inline":
      return { ipc: kind.inline.ipc };
    case "streamed":
      return { ipc: streamed() };
    case "shm":
      return { shm: kind.shm };
    default:
      throw new HeddleError("INVALID_INPUT", `unknown input kind for "${header.step}"`);
  }
}

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
    return { table, bytes: { ipc: bytes, format: "file", ref: source.shm } };
  }
  const table = decodeIpc(source.ipc, `input of ${definition.kind} "${definition.name}"`);
  definition.checkInput(table);
  return { table, bytes: { ipc: source.ipc, format: "stream" } };
}

/**
 * What ends a call's hold on its input segment once the answer is sent
 * (§8.3: a call drops its mapping once answered): unmaps it at once, so its
 * views are empty afterwards (step code must copy what it keeps). Undefined
 * when there is no segment, or when the call was cancelled, since plugin code
 * may still be reading it; the collector unmaps it then.
 */
export function inputRelease(input: DecodedInput | undefined, control: CallControl): (() => void) | undefined {
  const bytes = input?.bytes;
  if (!bytes?.ref || control.signal.aborted) return undefined;
  return () => releaseSegmentBytes(bytes.ipc);
}

/**
 * Runs a checked call: its step, then its fused stages on the previous
 * output in memory (§5.4), under the call's cancellation, and encodes the last
 * output. Never throws: every failure is in the outcome, naming the failing
 * stage. Ends the call's registration when plugin code settles.
 */
export async function runCheckedCall(
  runtime: PluginRuntime,
  checked: CheckedCall,
  input: DecodedInput,
  control: CallControl,
  startedAt: number,
): Promise<InvokeOutcome> {
  const steps = [checked, ...checked.then];
  const outcome = await runtime.runPluginCode(control, () => runSteps(runtime, steps, input.table, control));
  if (!outcome.ok) return failed(outcome.error, checked.definition.name, "plugin-code", startedAt);
  const table = outcome.value;
  if (!table) return { rows: 0, durationUs: elapsedUs(startedAt) };
  const last = steps[steps.length - 1]!.definition;
  try {
    // A call that returns its input table unchanged (echo, pass-through, log) gets
    // the received bytes sent back instead of a re-encoding: tables are immutable.
    const unchanged = table === input.table ? input.bytes : undefined;
    const encoded = encodeStepOutput(last, table, unchanged, checked.shmOutputThreshold, runtime.segments);
    const shm = encoded.shm ? { ...encoded.shm } : undefined;
    return { ipc: encoded.ipc, shm, rows: table.numRows, durationUs: elapsedUs(startedAt) };
  } catch (err) {
    return failed(err, last.name, "checks", startedAt);
  }
}

/** An outcome for an error raised at `phase` (a StageFailure brings its own step and phase); plain errors become STEP_FAILED from plugin code, INTERNAL otherwise. */
export function failed(err: unknown, component: string, phase: ErrorPhase, startedAt: number): InvokeOutcome {
  if (err instanceof StageFailure) return failed(err.error, err.component, err.phase, startedAt);
  const fallback = phase === "plugin-code" ? "STEP_FAILED" : "INTERNAL";
  return { rows: 0, error: toProtoError(err, fallback, component, phase), durationUs: elapsedUs(startedAt) };
}

/** Microseconds since `startedAt` (a performance.now() value). */
export function elapsedUs(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 1000);
}
