// Resources: stateful things (connections, clients, vaults) a plugin opens once
// with a config and injects into many step calls. The host opens and closes
// instances (OpenResource/CloseResource); steps name them by binding.
import type { z } from "zod";
import type { Logger } from "./logger.js";
import { ConfigSchema } from "./schema.js";

/** Registration options of a resource kind (`plugin.resource(options, factory)`). */
export interface ResourceOptions<C extends z.ZodType = z.ZodType> {
  /** Kind name, unique in the plugin (steps refer to it). */
  name: string;
  /** zod object schema of the resource config; omitted: accepts `{}` only. */
  config?: C;
  /** One line shown in the manifest. */
  description?: string;
}

/** What a resource factory gets besides its config. */
export interface ResourceContext {
  /** Id the host will use for this instance. */
  instanceId: string;
  /** Resource kind name. */
  kind: string;
  /** Logger with `resource` and `instance` bound. */
  logger: Logger;
}

/**
 * Builds one resource instance from its validated config. May be async. What
 * it throws becomes RESOURCE_INIT_FAILED. The instance may have a `close()`
 * (or `Symbol.asyncDispose`/`Symbol.dispose`) method: it runs on CloseResource
 * and at shutdown.
 */
export type ResourceFactory<Config, Instance> = (config: Config, ctx: ResourceContext) => Instance | Promise<Instance>;

/**
 * A registered resource kind, returned by `plugin.resource(...)`. Pass it as a
 * step's `resource` to get `config.resource` typed as the instance type.
 */
export interface ResourceHandle<Instance = unknown> {
  /** Kind name. */
  readonly kind: string;
  /** Type-only marker carrying the instance type; always undefined at run time. */
  readonly instanceType?: Instance;
}

/** A resource reference in step options: the kind name or the handle from `plugin.resource`. */
export type ResourceRef<Instance = unknown> = string | ResourceHandle<Instance>;

/** The kind name of a resource reference. */
export function resourceKindOf(ref: ResourceRef): string {
  return typeof ref === "string" ? ref : ref.kind;
}

/** A resource kind as the SDK keeps it: compiled schema and factory. */
export class ResourceDefinition<Config = unknown, Instance = unknown> implements ResourceHandle<Instance> {
  readonly kind: string;
  readonly description: string;
  readonly schema: ConfigSchema<Config>;
  readonly factory: ResourceFactory<Config, Instance>;

  /** Compiles the config schema; throws PluginDefinitionError when it is not a JSON-expressible object schema. */
  constructor(options: ResourceOptions, factory: ResourceFactory<Config, Instance>) {
    this.kind = options.name;
    this.description = options.description ?? "";
    this.schema = new ConfigSchema(options.config as z.ZodType<Config> | undefined, `resource "${options.name}"`);
    this.factory = factory;
  }
}

/**
 * Runs an instance's close hook if it has one (`close()`, then
 * `Symbol.asyncDispose`, then `Symbol.dispose`). Rethrows what the hook throws.
 */
export async function closeResourceInstance(instance: unknown): Promise<void> {
  if (instance === null || (typeof instance !== "object" && typeof instance !== "function")) return;
  const hooks = instance as Record<PropertyKey, unknown>;
  if (typeof hooks.close === "function") {
    await (hooks.close as () => unknown).call(instance);
    return;
  }
  // Explicit resource management symbols exist from Node 20.4 on; look them up defensively.
  const symbols = Symbol as unknown as { asyncDispose?: symbol; dispose?: symbol };
  for (const symbol of [symbols.asyncDispose, symbols.dispose]) {
    if (symbol && typeof hooks[symbol] === "function") {
      await (hooks[symbol] as () => unknown).call(instance);
      return;
    }
  }
}
