// Host-side resource instance ids. The host opens each instance on every pool
// process and re-opens it after a restart, so the id a caller holds stays
// valid while the plugin-side ids change underneath (protocol §12).
import { PluginCallError } from "../errors.js";
import type { PoolSlot } from "./pool-slot.js";

/** One resource instance the host opened. */
export interface HostResource {
  instanceId: string;
  kind: string;
  configJson: string;
  /** Plugin-side instance id per pool slot. */
  bySlot: Map<PoolSlot, string>;
  /** Why re-opening failed on a slot, to explain a later call. */
  reopenErrors: Map<PoolSlot, Error>;
}

/** The host resources of one plugin. */
export class ResourceTable {
  private readonly byId = new Map<string, HostResource>();
  private counter = 0;

  /** A new host-side instance id for `kind`. */
  newId(kind: string): string {
    this.counter += 1;
    return `${kind}-${this.counter}`;
  }

  add(resource: HostResource): void {
    this.byId.set(resource.instanceId, resource);
  }

  get(instanceId: string): HostResource | undefined {
    return this.byId.get(instanceId);
  }

  remove(instanceId: string): void {
    this.byId.delete(instanceId);
  }

  all(): HostResource[] {
    return [...this.byId.values()];
  }

  /**
   * Translates `{ binding: hostInstanceId }` into plugin-side ids for `slot`.
   * Fails with RESOURCE_NOT_OPEN for an id the host does not know or could not re-open.
   */
  mapFor(slot: PoolSlot, bindings: Record<string, string> | undefined, plugin: string, component: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [binding, hostId] of Object.entries(bindings ?? {})) {
      const res = this.byId.get(hostId);
      const pluginId = res?.bySlot.get(slot);
      if (!res || !pluginId) {
        const why = res?.reopenErrors.get(slot);
        throw new PluginCallError(
          "RESOURCE_NOT_OPEN",
          why
            ? `resource ${hostId} (binding ${binding}) could not be re-opened after the plugin restarted: ${why.message}`
            : `no open resource instance ${JSON.stringify(hostId)} for binding ${binding}`,
          { plugin, component, hint: "open it with plugin.openResource(kind, config) and pass the returned instanceId" },
        );
      }
      out[binding] = pluginId;
    }
    return out;
  }
}
