// What a runtime produces: the exact command that starts one plugin process.
import type { Logger } from "../logger.js";
import type { PluginSource } from "../manifest/plugin-json.js";

/** How to start one plugin process. */
export interface LaunchSpec {
  command: string;
  args: string[];
  /** Working directory: always the plugin folder (protocol §2.1). */
  cwd: string;
  /** Variables added to the host's environment (runtime ones; heddle-plugin.json `env` is added later). */
  env: Record<string, string>;
}

/** What a runtime needs to prepare a launch. */
export interface PrepareContext {
  source: PluginSource;
  /** `<heddleHome>/cache`. */
  cacheRoot: string;
  log: Logger;
  /** Aborted when the host closes: running builds are killed. */
  signal?: AbortSignal;
}

/** Turns a plugin folder into a LaunchSpec, building it first if needed. Fails with BUILD_FAILED or MANIFEST_INVALID. */
export type RuntimePreparer = (ctx: PrepareContext) => Promise<LaunchSpec>;
