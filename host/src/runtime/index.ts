// Picks the runtime named in heddle-plugin.json and prepares the launch.
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
};

/** Builds (when needed) and returns how to start the plugin. Fails with BUILD_FAILED or MANIFEST_INVALID. */
export async function prepareLaunch(ctx: PrepareContext): Promise<LaunchSpec> {
  const spec = await PREPARERS[ctx.source.json.runtime](ctx);
  return { ...spec, args: [...spec.args, ...(ctx.source.json.args ?? [])] };
}

export type { LaunchSpec, PrepareContext } from "./types.js";
