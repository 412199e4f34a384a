// Fused calls (docs/protocol.md §5.4): an InvokeHeader may list further steps
// of this plugin in `then`. They run in order inside this process, each on the
// apache-arrow Table object the previous one returned: no IPC encoding, no
// decoding, no copy between them. Every stage is checked like a normal call
// (§5.1 checks 1–3) before anything runs, and any error names the stage's step.
import * as arrow from "apache-arrow";
import { StepContext } from "../core/context.js";
import { HeddleError, InvalidOutputError } from "../core/errors.js";
import type { StepDefinition } from "../core/step.js";
import { Table } from "../core/table.js";
import type { CallControl } from "./calls.js";
import type { ErrorPhase } from "./proto-error.js";
import type { PluginRuntime } from "./runtime.js";

/** One step of a call that passed checks 1–3: its definition, parsed config and resolved resource instances. */
export interface CheckedStep {
  definition: StepDefinition;
  config: Record<string, unknown>;
  resources: Record<string, unknown>;
}

/**
 * An error raised by one step of a call, with the step it belongs to and where
 * it arose, so the answer names the failing stage of a fused chain.
 */
export class StageFailure {
  constructor(
    readonly error: unknown,
    readonly component: string,
    readonly phase: ErrorPhase,
  ) {}
}

/**
 * Checks 1–3 of §5.1 for one step (the call's own or a stage of `then`).
 * Throws a StageFailure naming `step` that holds UNKNOWN_STEP, INVALID_CONFIG,
 * MISSING_RESOURCE or RESOURCE_NOT_OPEN.
 */
export function checkStep(runtime: PluginRuntime, step: string, configJson: string, given: Record<string, string>): CheckedStep {
  try {
    const definition = runtime.definitions.callables.get(step);
    if (!definition) {
      const known = [...runtime.definitions.callables.keys()].sort().join(", ") || "none";
      throw new HeddleError("UNKNOWN_STEP", `plugin "${runtime.definitions.namespace}" has no step or handler "${step}"; it has: ${known}`, { component: step });
    }
    const config = definition.schema.parseJson(configJson);
    const resources = runtime.instances.resolveBindings(`${definition.kind} "${definition.name}"`, definition.bindings, given);
    return { definition, config, resources };
  } catch (err) {
    // The component is the step's plain name (resource checks word it as `step "name"` in their message).
    if (err instanceof HeddleError) err.component = step;
    throw new StageFailure(err, step, "checks");
  }
}

/**
 * Runs `steps` in order under the call's control: the first gets `input`, each
 * next one the very Table object the previous returned (an empty table after a
 * sink, or for a step that takes no input). Resolves with the last output, or
 * undefined when the last step is a sink. Rejects with a StageFailure naming
 * the failing step: its exception (STEP_FAILED unless typed), an input without
 * its declared columns (INVALID_INPUT), or a non-table output (INVALID_OUTPUT).
 * Stops before the next stage once the call is cancelled.
 */
export async function runSteps(runtime: PluginRuntime, steps: readonly CheckedStep[], input: arrow.Table, control: CallControl): Promise<arrow.Table | undefined> {
  let current: arrow.Table | undefined = input;
  for (const [index, step] of steps.entries()) {
    const { definition } = step;
    // The abort reason is what the call answers (runPluginCode); just stop here.
    if (control.signal.aborted) return undefined;
    let stageInput = current ?? new arrow.Table();
    if (index > 0) {
      if (!definition.takesInput) stageInput = new arrow.Table();
      try {
        definition.checkInput(stageInput);
      } catch (err) {
        throw new StageFailure(err, definition.name, "checks");
      }
    }
    let value: unknown;
    try {
      value = await runOne(runtime, step, stageInput, control);
    } catch (err) {
      throw new StageFailure(err, definition.name, "plugin-code");
    }
    try {
      current = outputTable(definition, value);
    } catch (err) {
      throw new StageFailure(err, definition.name, "checks");
    }
  }
  return current;
}

function runOne(runtime: PluginRuntime, step: CheckedStep, input: arrow.Table, control: CallControl): unknown {
  const { definition, resources } = step;
  // A copy per call: the injected resource must not leak into the parsed config of another stage.
  const config = definition.injectedBinding === undefined ? step.config : { ...step.config, resource: resources[definition.injectedBinding] };
  const logger = runtime.logger.child({ call_id: control.callId, [definition.kind]: definition.name });
  const ctx = new StepContext({ callId: control.callId, signal: control.signal, deadline: control.deadline, logger, resources, step: definition.name });
  return definition.fn(config, Table.fromArrow(input), ctx);
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
