// Steps: functions from (config, input table, context) to an output table.
// This file holds the registration options, the typing of the config a step
// receives (with the injected resource), and the compiled StepDefinition the
// call pipeline runs.
import * as arrow from "apache-arrow";
import type { z } from "zod";
import { type SchemaSpec, toArrowSchema } from "./column-types.js";
import type { StepContext } from "./context.js";
import { InvalidInputError, InvalidOutputError, PluginDefinitionError } from "./errors.js";
import { type ResourceHandle, type ResourceRef, resourceKindOf } from "./resource.js";
import { ConfigSchema } from "./schema.js";
import type { Table } from "./table.js";

/** One resource binding of a step: the kind name/handle, or `{ kind, optional }`. */
export type BindingSpec = ResourceRef | { kind: ResourceRef; optional?: boolean };

/** Registration options of a step (`plugin.step(options, fn)`). */
export interface StepOptions<C extends z.ZodType = z.ZodType, Res extends ResourceRef | undefined = ResourceRef | undefined> {
  /** Step name, unique in the plugin; addressed as `namespace.name`. */
  name: string;
  /** One line shown in the manifest. */
  description?: string;
  /** zod object schema of the step config; omitted: accepts `{}` only. */
  config?: C;
  /**
   * The one resource this step needs. Its binding name is the kind name, and
   * the instance is injected as `config.resource` (and `ctx.resources[kind]`).
   */
  resource?: Res;
  /** Several resources: binding name → kind (instances in `ctx.resources[binding]`). */
  resources?: Record<string, BindingSpec>;
  /** Whether the step reads an input table (default true; false for sources). */
  takesInput?: boolean;
  /** Columns the input must have (checked before the step runs → INVALID_INPUT). */
  inputSchema?: SchemaSpec;
  /** Columns the output has (announced in the manifest, checked after → INVALID_OUTPUT). */
  outputSchema?: SchemaSpec;
}

/** What a step may return: a table, an apache-arrow table, or nothing for a sink. */
export type StepResult = Table | arrow.Table | null | undefined | void;

/**
 * `config.resource`'s type for a step's `resource` option: the instance type
 * for a handle from `plugin.resource`; `any` for a bare kind name, whose
 * instance type the compiler cannot know (pass the handle to get it typed).
 */
export type InjectedResource<Res> =
  Res extends ResourceHandle<infer Instance> ? { resource: Instance } : Res extends string ? { resource: any } : unknown;

/** The config object a step function receives. */
export type StepConfigOf<C extends z.ZodType, Res> = z.output<C> & InjectedResource<Res>;

/** A step function. It may be async; what it throws becomes STEP_FAILED unless it is a HeddleError. */
export type StepFunction<Config> = (config: Config, input: Table, ctx: StepContext) => StepResult | Promise<StepResult>;

/** A resource requirement as the manifest lists it. */
export interface ResourceBinding {
  binding: string;
  kind: string;
  optional: boolean;
}

/** Whether a definition is a step or an error handler (both are called with Invoke). */
export type CallableKind = "step" | "handler";

/** A compiled step or handler, ready to be called. */
export class StepDefinition {
  readonly kind: CallableKind;
  readonly name: string;
  readonly description: string;
  readonly schema: ConfigSchema<Record<string, unknown>>;
  readonly bindings: readonly ResourceBinding[];
  /** The binding injected as `config.resource`, for steps declared with `resource`. */
  readonly injectedBinding: string | undefined;
  readonly takesInput: boolean;
  readonly inputSchema: arrow.Schema | undefined;
  readonly outputSchema: arrow.Schema | undefined;
  readonly fn: StepFunction<Record<string, unknown>>;

  /**
   * Compiles the options. Throws PluginDefinitionError for a bad config schema,
   * both `resource` and `resources`, or a config field named `resource` on a
   * step that gets `config.resource` injected.
   */
  constructor(kind: CallableKind, options: StepOptions, fn: StepFunction<never>) {
    const label = `${kind} "${options.name}"`;
    this.kind = kind;
    this.name = options.name;
    this.description = options.description ?? "";
    this.schema = new ConfigSchema(options.config as z.ZodType<Record<string, unknown>> | undefined, label);
    this.takesInput = options.takesInput ?? true;
    this.fn = fn as StepFunction<Record<string, unknown>>;
    if (options.resource !== undefined && options.resources !== undefined) {
      throw new PluginDefinitionError(`${label} sets both "resource" and "resources": use "resource" for one resource or "resources" for several`);
    }
    if (options.resource !== undefined) {
      const kindName = resourceKindOf(options.resource);
      this.bindings = [{ binding: kindName, kind: kindName, optional: false }];
      this.injectedBinding = kindName;
      if (this.schema.topLevelProperties.includes("resource")) {
        throw new PluginDefinitionError(`${label} has a config field "resource", which clashes with the injected config.resource: rename the field`);
      }
    } else {
      this.bindings = Object.entries(options.resources ?? {}).map(([binding, spec]) => toBinding(binding, spec));
      this.injectedBinding = undefined;
    }
    try {
      this.inputSchema = options.inputSchema ? toArrowSchema(options.inputSchema) : undefined;
      this.outputSchema = options.outputSchema ? toArrowSchema(options.outputSchema) : undefined;
    } catch (err) {
      throw new PluginDefinitionError(`${label}: ${(err as Error).message}`);
    }
  }

  /** Checks the input has the declared columns and types. Throws InvalidInputError naming the column. */
  checkInput(table: arrow.Table): void {
    const problem = this.inputSchema && schemaMismatch(this.inputSchema, table.schema);
    if (problem) throw new InvalidInputError(`input of ${this.kind} "${this.name}": ${problem}`);
  }

  /** Checks the output has the declared columns and types. Throws InvalidOutputError naming the column. */
  checkOutput(table: arrow.Table): void {
    const problem = this.outputSchema && schemaMismatch(this.outputSchema, table.schema);
    if (problem) throw new InvalidOutputError(`output of ${this.kind} "${this.name}" does not match its declared schema: ${problem}`);
  }
}

function toBinding(binding: string, spec: BindingSpec): ResourceBinding {
  if (typeof spec === "string") return { binding, kind: spec, optional: false };
  if (isResourceHandle(spec)) return { binding, kind: spec.kind, optional: false };
  return { binding, kind: resourceKindOf(spec.kind), optional: spec.optional ?? false };
}

function isResourceHandle(spec: Exclude<BindingSpec, string>): spec is ResourceHandle {
  // `{ kind, optional }` holds a reference in `kind`; a handle holds the kind name itself.
  return typeof spec.kind === "string" && !("optional" in spec) && "schema" in spec;
}

/** Describes the first difference between the expected and the actual schema, or returns undefined. */
function schemaMismatch(expected: arrow.Schema, actual: arrow.Schema): string | undefined {
  for (const field of expected.fields) {
    const found = actual.fields.find((candidate) => candidate.name === field.name);
    if (!found) {
      return `column "${field.name}" (${String(field.type)}) is missing; the table has ${actual.fields.map((f) => `"${f.name}"`).join(", ") || "no columns"}`;
    }
    // Same type id and same rendering (bit width, unit, children): apache-arrow's
    // compareTypes is asymmetric between decoded and constructed types.
    if (field.type.typeId !== found.type.typeId || String(field.type) !== String(found.type)) {
      return `column "${field.name}" is ${String(found.type)}, expected ${String(field.type)}`;
    }
  }
  return undefined;
}
