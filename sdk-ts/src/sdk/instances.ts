// Open resource instances of this process (docs/protocol.md §4): opened by
// OpenResource, looked up by id on every call, closed by CloseResource and at
// shutdown.
import { HeddleError, ResourceInitError, toHeddleError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { type ResourceDefinition, closeResourceInstance } from "../core/resource.js";
import type { ResourceBinding } from "../core/step.js";
import { RESOURCE_CLOSE_TIMEOUT_MS } from "./options.js";

/** One open instance. */
export interface OpenInstance {
  readonly id: string;
  readonly kind: string;
  readonly instance: unknown;
}

/** The table of open resource instances. */
export class ResourceInstances {
  private readonly open = new Map<string, OpenInstance>();
  private nextNumber = 1;

  constructor(private readonly logger: Logger) {}

  /**
   * Validates the config and runs the factory. Returns the new instance id
   * (`<kind>-<n>`, unique in the process). Throws InvalidConfigError for a bad
   * config and ResourceInitError (RESOURCE_INIT_FAILED) when the factory throws.
   */
  async openInstance(definition: ResourceDefinition, configJson: string): Promise<string> {
    const config = definition.schema.parseJson(configJson);
    const id = `${definition.kind}-${this.nextNumber++}`;
    const logger = this.logger.child({ resource: definition.kind, instance: id });
    let instance: unknown;
    try {
      instance = await definition.factory(config, { instanceId: id, kind: definition.kind, logger });
    } catch (err) {
      const cause = toHeddleError(err, "RESOURCE_INIT_FAILED");
      const failure = new ResourceInitError(`resource "${definition.kind}" failed to open: ${cause.message}`, { cause: err, component: definition.kind });
      failure.stack = cause.stack;
      throw failure;
    }
    this.open.set(id, { id, kind: definition.kind, instance });
    logger.debug("resource opened");
    return id;
  }

  /** The open instance with this id, if any. */
  get(id: string): OpenInstance | undefined {
    return this.open.get(id);
  }

  /** Number of open instances. */
  get size(): number {
    return this.open.size;
  }

  /**
   * Closes one instance (runs its close hook). Throws RESOURCE_NOT_OPEN for an
   * unknown id. A failing close hook is logged, not thrown: the instance is
   * gone either way and callers are usually cleaning up.
   */
  async closeInstance(id: string): Promise<void> {
    const entry = this.open.get(id);
    if (!entry) {
      throw new HeddleError("RESOURCE_NOT_OPEN", `resource instance "${id}" is not open: it was never opened or is already closed`);
    }
    this.open.delete(id);
    await this.runCloseHook(entry);
  }

  /** Closes every open instance (shutdown); each close hook gets a bounded time. */
  async closeAll(): Promise<void> {
    const entries = [...this.open.values()];
    this.open.clear();
    await Promise.all(entries.map((entry) => this.runCloseHook(entry)));
  }

  /**
   * Maps a call's bindings (binding → instance id) to instances, checking the
   * ones the component requires. Throws MISSING_RESOURCE for a required
   * binding that was not given, RESOURCE_NOT_OPEN for an unknown id or an
   * instance of the wrong kind. Bindings the component did not declare are passed through.
   */
  resolveBindings(component: string, required: readonly ResourceBinding[], given: Record<string, string>): Record<string, unknown> {
    // Protocol §5.1 step 3: every missing binding is reported before any unopened id.
    for (const binding of required) {
      if (binding.optional || (given[binding.binding] ?? "") !== "") continue;
      throw new HeddleError(
        "MISSING_RESOURCE",
        `${component} needs resource binding "${binding.binding}" (kind "${binding.kind}") but the call gave ${describeGiven(given)}: open a "${binding.kind}" resource and bind it as ${binding.binding}=<instance id>`,
        { component },
      );
    }
    const resolved: Record<string, unknown> = {};
    for (const [binding, id] of Object.entries(given)) {
      if (id === "") continue;
      const entry = this.open.get(id);
      if (!entry) {
        throw new HeddleError("RESOURCE_NOT_OPEN", `${component}: resource instance "${id}" bound as "${binding}" is not open: open it first (it may have been closed)`, { component });
      }
      const expected = required.find((r) => r.binding === binding);
      if (expected && entry.kind !== expected.kind) {
        throw new HeddleError(
          "RESOURCE_NOT_OPEN",
          `${component}: binding "${binding}" needs a "${expected.kind}" resource but instance "${id}" is a "${entry.kind}": bind an instance of kind "${expected.kind}"`,
          { component },
        );
      }
      resolved[binding] = entry.instance;
    }
    return resolved;
  }

  private async runCloseHook(entry: OpenInstance): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), RESOURCE_CLOSE_TIMEOUT_MS)));
    try {
      const outcome = await Promise.race([closeResourceInstance(entry.instance), timeout]);
      if (outcome === "timeout") this.logger.warn("resource close hook did not finish in time", { instance: entry.id, timeout_ms: RESOURCE_CLOSE_TIMEOUT_MS });
      else this.logger.debug("resource closed", { resource: entry.kind, instance: entry.id });
    } catch (err) {
      this.logger.error("resource close hook failed", { resource: entry.kind, instance: entry.id, error: err });
    } finally {
      clearTimeout(timer);
    }
  }
}

function describeGiven(given: Record<string, string>): string {
  const names = Object.keys(given);
  return names.length === 0 ? "no resources" : `only ${names.map((n) => `"${n}"`).join(", ")}`;
}
