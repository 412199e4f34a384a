// Dev mode: watch a plugin folder and restart the plugin when a file changes.
// Calls made during the restart wait for the new process (see PoolSlot).
import { relative, sep } from "node:path";
import type { Logger } from "../logger.js";
import type { Plugin } from "../plugin/plugin.js";
import { IGNORED_DIRS } from "../runtime/cache.js";

/** A running watcher. */
export interface PluginWatcher {
  /** Resolves once the initial scan is done (changes after it trigger reloads). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Quiet period after the last change before reloading (editors write several times). */
const DEBOUNCE_MS = 150;

/** Watches `plugin.dir` (ignoring node_modules, .venv, target, …) and reloads the plugin on change. */
export async function watchPlugin(plugin: Plugin, log: Logger): Promise<PluginWatcher> {
  const { watch } = await import("chokidar"); // only dev mode needs it
  const root = plugin.dir;
  const watcher = watch(root, {
    ignoreInitial: true,
    ignored: (path: string) => relative(root, path).split(sep).some((part) => IGNORED_DIRS.has(part)),
  });
  let timer: NodeJS.Timeout | undefined;
  let changed = new Set<string>();
  watcher.on("all", (event, path) => {
    changed.add(relative(root, path) || path);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...changed];
      changed = new Set();
      log.info(`change detected (${files.join(", ")}); restarting the plugin`);
      plugin.reload(`${event} ${files.join(", ")}`).then(
        () => log.debug(`plugin restarted (pid ${plugin.pids.join(", ")})`),
        (err: Error) => log.error(`restart failed, waiting for the next change: ${err.message}`),
      );
    }, DEBOUNCE_MS);
  });
  watcher.on("error", (err) => log.warn(`file watcher error: ${(err as Error).message}`));
  const ready = new Promise<void>((r) => watcher.once("ready", () => r()));
  log.info(`watching ${root} for changes`);
  return {
    ready,
    async close() {
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
