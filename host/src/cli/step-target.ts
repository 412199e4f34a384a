// Resolves `namespace.step` against a plugin's manifest for the CLI, and
// matches --resource bindings with what the step requires.
import { CliError, PluginCallError } from "../errors.js";
import type { PluginManifest, ResourceRequirement } from "../manifest/decode.js";

/** A step or handler found in the manifest. */
export interface StepTarget {
  name: string;
  kind: "step" | "handler";
  takesInput: boolean;
  resources: ResourceRequirement[];
}

/** Finds `namespace.step`. Fails with USAGE (bad namespace) or UNKNOWN_STEP listing the steps there are. */
export function findStep(manifest: PluginManifest, qualified: string, plugin: string): StepTarget {
  const ns = manifest.namespace;
  if (!qualified.startsWith(ns + ".")) {
    const given = qualified.includes(".") ? qualified.slice(0, qualified.lastIndexOf(".")) : undefined;
    throw new CliError(
      "USAGE",
      given === undefined
        ? `step ${JSON.stringify(qualified)} must be written namespace.step; this plugin's namespace is ${ns}`
        : `namespace ${JSON.stringify(given)} does not match the plugin's namespace ${JSON.stringify(ns)}`,
      { plugin, component: qualified, hint: `call it as ${ns}.${given === undefined ? qualified : qualified.slice(given.length + 1)}` },
    );
  }
  const name = qualified.slice(ns.length + 1);
  const step = manifest.steps.find((s) => s.name === name);
  if (step) return { name, kind: "step", takesInput: step.takesInput, resources: step.resources };
  const handler = manifest.handlers.find((h) => h.name === name);
  if (handler) return { name, kind: "handler", takesInput: true, resources: handler.resources };
  const available = [...manifest.steps.map((s) => s.name), ...manifest.handlers.map((h) => h.name)].map((n) => `${ns}.${n}`);
  throw new PluginCallError("UNKNOWN_STEP", `plugin ${plugin} has no step ${qualified}`, {
    plugin, component: qualified,
    hint: available.length ? `its steps are: ${available.join(", ")}` : "this plugin has no steps",
  });
}

/**
 * Pairs each --resource binding with the resource kind the step requires for
 * it. Fails with USAGE for a binding the step does not have, and
 * MISSING_RESOURCE for a required binding that was not given.
 */
export function bindResources(target: StepTarget, given: Map<string, Record<string, unknown>>, plugin: string, component: string): Array<{ binding: string; kind: string; config: Record<string, unknown> }> {
  const out: Array<{ binding: string; kind: string; config: Record<string, unknown> }> = [];
  for (const [binding, config] of given) {
    const req = target.resources.find((r) => r.binding === binding);
    if (!req) {
      const known = target.resources.map((r) => r.binding);
      throw new CliError("USAGE", `${component} has no resource binding ${JSON.stringify(binding)}`, {
        plugin, component, hint: known.length ? `its bindings are: ${known.join(", ")}` : "this step takes no resources: drop --resource",
      });
    }
    out.push({ binding, kind: req.kind, config });
  }
  for (const req of target.resources) {
    if (!req.optional && !given.has(req.binding)) {
      throw new PluginCallError("MISSING_RESOURCE", `${component} needs a ${req.kind} resource for binding ${JSON.stringify(req.binding)}`, {
        plugin, component, hint: `pass --resource ${req.binding}='{...config of ${req.kind}...}' (see \`heddle-host describe\` for its schema)`,
      });
    }
  }
  return out;
}
