// `make bench`: runs every benchmark and prints each figure beside its baseline.
// `node bench/run.mjs <name>` runs one of them.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startup } from "./startup.mjs";
import { smallCall } from "./small-call.mjs";
import { throughput } from "./throughput.mjs";

const here = dirname(fileURLToPath(import.meta.url));
// Benchmarks that run as their own programs (they start registries, Python Flight servers, …).
const script = (path) => () => {
  const r = spawnSync(process.execPath, [join(here, path)], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`${path} exited ${r.status}`);
};

const only = process.argv[2];
const benches = {
  startup,
  "small-call": smallCall,
  throughput,
  handoff: script("handoff/run.mjs"),
  install: script("install/install-bench.mjs"),
};
for (const [name, fn] of Object.entries(benches)) {
  if (only && only !== name) continue;
  console.log(`\n== ${name}`);
  await fn();
}
