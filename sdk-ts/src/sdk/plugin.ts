// Plugin: the object a plugin program builds. It registers resources, steps,
// error handlers and Heimdall commands, then `serve()`s them to the host.
import type { z } from "zod";
import { type CommandFunction, CommandDefinition, type CommandOptions } from "../core/command.js";
import { PluginDefinitionError } from "../core/errors.js";
import type { HandlerOptions } from "../core/handler.js";
import { Logger } from "../core/logger.js";
import { type ResourceFactory, ResourceDefinition, type ResourceHandle, type ResourceOptions, type ResourceRef } from "../core/resource.js";
import { type StepConfigOf, StepDefinition, type StepFunction, type StepOptions } from "../core/step.js";
import type { PluginDefinitions } from "./manifest.js";
import { EXIT_START_FAILED, type ServeOptions } from "./options.js";
import { type ServingPlugin, serve } from "./serve.js";

/** Options of `new Plugin(...)`. */
export interface PluginOptions {
  /** Namespace steps are addressed by (`namespace.step`). */
  namespace: string;
  /** Plugin version (semver), shown in the manifest; default "0.0.0". */
  version?: string;
  /** One line shown in the manifest. */
  description?: string;
}

/** Step and command name rule: what a Heddle identifier can hold. */
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * A Heddle plugin. Register components, then call `serve()`:
 *
 * ```ts
 * const plugin = new Plugin({ namespace: "security", version: "1.0.0" });
 * const vault = plugin.resource({ name: "vault", config: z.object({ api_key: z.string() }) }, (c) => new Vault(c.api_key));
 * plugin.step({ name: "hash", resource: vault, config: z.object({ algorithm: z.string() }) }, (config, input) => ...);
 * plugin.serve();
 * ```
 */
export class Plugin implements PluginDefinitions {
  readonly namespace: string;
  readonly version: string;
  readonly description: string;
  readonly resources = new Map<string, ResourceDefinition>();
  readonly callables = new Map<string, StepDefinition>();
  readonly commands = new Map<string, CommandDefinition>();
  /** Logger for code outside calls (startup, background work); honours HEDDLE_LOG_LEVEL. */
  readonly logger = new Logger();

  /** Throws PluginDefinitionError when the namespace is not a valid identifier. */
  constructor(options: PluginOptions) {
    checkName("namespace", options.namespace);
    this.namespace = options.namespace;
    this.version = options.version ?? "0.0.0";
    this.description = options.description ?? "";
  }

  /**
   * Registers a resource kind. Returns its handle: pass it as a step's
   * `resource` to get `config.resource` typed. Throws PluginDefinitionError
   * for a duplicate or invalid name or a config schema that is not a z.object.
   */
  resource<C extends z.ZodType = z.ZodObject<{}>, Instance = unknown>(
    options: ResourceOptions<C>,
    factory: ResourceFactory<z.output<C>, Instance>,
  ): ResourceHandle<Instance> {
    checkName("resource", options.name);
    if (this.resources.has(options.name)) throw new PluginDefinitionError(`resource "${options.name}" is registered twice: give each resource a unique name`);
    const definition = new ResourceDefinition<z.output<C>, Instance>(options, factory);
    this.resources.set(options.name, definition as ResourceDefinition);
    return definition;
  }

  /**
   * Registers a step. The function gets the validated config (plus
   * `config.resource` when the step declares one `resource`), the input table
   * and a StepContext. Throws PluginDefinitionError for a duplicate or invalid
   * name, a bad config schema, or a resource kind not registered yet.
   */
  step<C extends z.ZodType = z.ZodObject<{}>, const Res extends ResourceRef | undefined = undefined>(
    options: StepOptions<C, Res>,
    fn: StepFunction<StepConfigOf<C, Res>>,
  ): this {
    this.addCallable(new StepDefinition("step", options as StepOptions, fn as StepFunction<never>));
    return this;
  }

  /**
   * Registers an error handler: called like a step with a table of errors
   * (columns code, message, component, stack). Throws like `step`.
   */
  handler<C extends z.ZodType = z.ZodObject<{}>>(options: HandlerOptions<C>, fn: StepFunction<z.output<C>>): this {
    this.addCallable(new StepDefinition("handler", options as StepOptions, fn as StepFunction<never>));
    return this;
  }

  /**
   * Registers a Heimdall command. The function gets a CommandContext (job
   * context, cluster, stdout/stderr line writers, cancellation) and may return
   * a result table. Throws PluginDefinitionError for a duplicate or invalid name or bad schema.
   */
  command<C extends z.ZodType = z.ZodObject<{}>, K extends z.ZodType = z.ZodType>(
    options: CommandOptions<C, K>,
    fn: CommandFunction<z.output<C>>,
  ): this {
    checkName("command", options.name);
    if (this.commands.has(options.name)) throw new PluginDefinitionError(`command "${options.name}" is registered twice: give each command a unique name`);
    this.commands.set(options.name, new CommandDefinition(options as CommandOptions, fn as CommandFunction<never>));
    return this;
  }

  /**
   * Serves the plugin to the host that started this process (docs/protocol.md §2).
   * No need to await it. The process exits 3 when not started by a host
   * (cookie), 4 when host and SDK share no protocol version, 1 when it cannot listen.
   */
  serve(options: ServeOptions = {}): Promise<ServingPlugin> {
    return serve(this, options).catch((err: unknown) => {
      process.stderr.write(`HEDDLE_SERVE_FAILED: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(EXIT_START_FAILED);
    });
  }

  private addCallable(definition: StepDefinition): void {
    checkName(definition.kind, definition.name);
    const existing = this.callables.get(definition.name);
    if (existing) {
      throw new PluginDefinitionError(`${definition.kind} "${definition.name}" clashes with the ${existing.kind} of the same name: steps and handlers share one name space`);
    }
    for (const binding of definition.bindings) {
      if (!this.resources.has(binding.kind)) {
        throw new PluginDefinitionError(
          `${definition.kind} "${definition.name}" needs resource kind "${binding.kind}", which is not registered: call plugin.resource({ name: "${binding.kind}", ... }) first`,
        );
      }
    }
    this.callables.set(definition.name, definition);
  }
}

function checkName(what: string, name: unknown): void {
  if (typeof name !== "string" || !NAME_PATTERN.test(name)) {
    throw new PluginDefinitionError(`${what} name ${JSON.stringify(name)} is not valid: use letters, digits, "_" and "-", starting with a letter or "_"`);
  }
}
