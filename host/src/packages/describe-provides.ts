// Fills a manifest's `provides` (its steps, resources, commands, handlers) by
// starting the plugin once and calling Describe, so the registry can search
// by capability without the author writing the lists by hand.

/** Capability lists as stored in the package manifest. */
export interface ProvidesLists {
  namespace: string;
  steps: string[];
  resources: string[];
  commands: string[];
  handlers: string[];
}

interface DescribedPlugin {
  manifest: { namespace?: string; steps?: Array<{ name: string }>; resources?: Array<{ name: string }>; commands?: Array<{ name: string }>; handlers?: Array<{ name: string }> };
}

interface HostLike {
  load(dir: string): Promise<DescribedPlugin>;
  close(): Promise<void>;
}

/**
 * Starts the plugin in `dir` through the host's PluginHost, reads its
 * manifest and stops it. Throws whatever the host throws (a HostError such as
 * PLUGIN_START_FAILED) or an Error if the host library is unavailable.
 */
export async function describeProvides(dir: string): Promise<ProvidesLists> {
  // loaded at run time: the host library is a sibling module that may not be built with the package client
  const mod = (await import(new URL("../index.js", import.meta.url).href)) as { PluginHost?: new (options: Record<string, unknown>) => HostLike };
  if (typeof mod.PluginHost !== "function") throw new Error("this build of heddle-host has no PluginHost to describe plugins with");
  const host = new mod.PluginHost({ logLevel: "error", handleProcessSignals: false, healthIntervalMs: 0 });
  try {
    const plugin = await host.load(dir);
    const names = (items?: Array<{ name: string }>): string[] => (items ?? []).map((i) => i.name).sort();
    const m = plugin.manifest;
    return { namespace: m.namespace ?? "", steps: names(m.steps), resources: names(m.resources), commands: names(m.commands), handlers: names(m.handlers) };
  } finally {
    await host.close();
  }
}
