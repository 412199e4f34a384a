// Picks the runtime named in heddle-plugin.json and prepares the launch.
import { ManifestError } from "../errors.js";
import type { Runtime } from "../manifest/plugin-json.js";
import { prepareExec } from "./exec.js";
import { prepareGo } from "./go.js";
import { prepareNode } from "./node.js";
import { preparePython } from "./python.js";
import { prepareRust } from "./rust.js";
import type { LaunchSpec, PrepareContext, RuntimePreparer } from "./types.js";

const PREPARERS: Record<Runtime, RuntimePreparer> = {
  python: preparePython,
  node: prepareNode,
  go: prepareGo,
  rust: prepareRust,
  exec: prepareExec,
  // Loaded into the host process by host.load (src/inprocess), never launched.
  native: async (ctx) => {
    throw new ManifestError(`plugin ${ctx.source.json.name} has runtime "native": it is loaded in-process, not started as a process`, {
      plugin: ctx.source.json.name, component: "heddle-plugin.json", field: "/runtime", hint: "load it with host.load() or loadInProcessPlugin()",
    });
  },
};

/** Builds (when needed) and returns how to start the plugin. Fails with BUILD_FAILED or MANIFEST_INVALID. */
export async function prepareLaunch(ctx: PrepareContext): Promise<LaunchSpec> {
  const spec = await PREPARERS[ctx.source.json.runtime](ctx);
  return { ...spec, args: [...spec.args, ...(ctx.source.json.args ?? [])] };
}

export type { LaunchSpec, PrepareContext } from "./types.js";
