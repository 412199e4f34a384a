// Stops every plugin when the host process is told to stop (SIGINT/SIGTERM)
// and kills their process groups if it exits anyway, so no plugin outlives
// its host. (A host killed with SIGKILL is covered by the plugins watching
// stdin, protocol §2.2 step 5.)

/** What the hooks need from each live host. */
export interface StoppableHost {
  close(): Promise<void>;
  /** Synchronous last resort: SIGKILL every process group. */
  killAllNow(): void;
}

const hosts = new Set<StoppableHost>();
let installed = false;

const onSignal = (signal: NodeJS.Signals) => {
  const stopAll = Promise.allSettled([...hosts].map((h) => h.close()));
  const bound = new Promise((r) => setTimeout(r, 10_000).unref());
  void Promise.race([stopAll, bound]).then(() => {
    uninstall();
    // Nobody else handles this signal: behave as the default (terminate).
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
};

const onExit = () => {
  for (const h of hosts) h.killAllNow();
};

function install(): void {
  if (installed) return;
  installed = true;
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  process.on("exit", onExit);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener("SIGINT", onSignal);
  process.removeListener("SIGTERM", onSignal);
  process.removeListener("exit", onExit);
}

/** Registers a host so process signals and exit stop its plugins. */
export function registerHost(host: StoppableHost): void {
  hosts.add(host);
  install();
}

/** Unregisters a closed host; the hooks go away with the last one. */
export function unregisterHost(host: StoppableHost): void {
  hosts.delete(host);
  if (hosts.size === 0) uninstall();
}
