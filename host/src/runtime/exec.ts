// runtime "exec": run the entrypoint as it is.
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { ManifestError } from "../errors.js";
import type { LaunchSpec, PrepareContext } from "./types.js";

/** Resolves the entrypoint against the plugin folder. */
export function entrypointPath(ctx: PrepareContext): string {
  const ep = ctx.source.json.entrypoint;
  return isAbsolute(ep) ? ep : join(ctx.source.dir, ep);
}

/** True when `path` is an executable regular file. */
export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Fails with MANIFEST_INVALID (field entrypoint) when the entrypoint file is missing. */
export async function requireEntrypointFile(ctx: PrepareContext, path: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new ManifestError(`entrypoint ${ctx.source.json.entrypoint} does not exist in ${ctx.source.dir}`, {
      plugin: ctx.source.json.name,
      component: "heddle-plugin.json",
      field: "/entrypoint",
      hint: "set \"entrypoint\" in heddle-plugin.json to the file that starts the plugin",
    });
  }
}

/** Prepares an `exec` plugin: the entrypoint must be an executable file. */
export async function prepareExec(ctx: PrepareContext): Promise<LaunchSpec> {
  const path = entrypointPath(ctx);
  await requireEntrypointFile(ctx, path);
  if (!(await isExecutable(path))) {
    throw new ManifestError(`entrypoint ${ctx.source.json.entrypoint} is not executable`, {
      plugin: ctx.source.json.name,
      component: "heddle-plugin.json",
      field: "/entrypoint",
      hint: `run chmod +x ${path}`,
    });
  }
  return { command: path, args: [], cwd: ctx.source.dir, env: {} };
}
