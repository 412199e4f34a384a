// Measures the small-call round trip host → TypeScript plugin: a grpc-js client
// calling unary Invoke of `echo` with a 3-row table over the Unix socket. The
// numbers are printed for the record; the test asserts only that every call
// succeeded (no timing assertion: this machine is shared).
import { readFileSync } from "node:fs";
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CONFORMANCE_PLUGIN } from "../helpers/paths.js";
import { PluginProcess, removeBuilds } from "../helpers/plugin-process.js";
import { invoke } from "../helpers/rpc.js";

const WARMUP_CALLS = 300;
const MEASURED_CALLS = 2000;
let proc: PluginProcess;

beforeAll(async () => {
  proc = await PluginProcess.start(CONFORMANCE_PLUGIN);
});

afterAll(async () => {
  await proc?.dispose();
  await removeBuilds();
});

it("measures the unary small-call round trip (printed, not asserted)", async () => {
  const input = arrow.tableToIPC(
    new arrow.Table({
      id: arrow.vectorFromArray([1n, 2n, 3n], new arrow.Int64()),
      name: arrow.vectorFromArray(["a", "b", "c"], new arrow.Utf8()),
    }),
    "stream",
  );
  let failures = 0;
  for (let i = 0; i < WARMUP_CALLS; i++) if ((await invoke(proc, "echo", { input })).error) failures++;
  const micros: number[] = [];
  const pluginSide: number[] = [];
  const cpuBefore = processCpuMs(proc.child.pid!);
  const started = performance.now();
  for (let i = 0; i < MEASURED_CALLS; i++) {
    const t0 = performance.now();
    const response = await invoke(proc, "echo", { input });
    micros.push((performance.now() - t0) * 1000);
    pluginSide.push(response.stats?.durationUs ?? 0);
    if (response.error || response.stats?.outputRows !== 3) failures++;
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuPerCallUs = Math.round(((processCpuMs(proc.child.pid!) - cpuBefore) * 1000) / MEASURED_CALLS);
  // Baseline: the cheapest RPC the plugin serves (Health/Check), to separate gRPC cost from SDK cost.
  const baseline: number[] = [];
  for (let i = 0; i < MEASURED_CALLS; i++) {
    const t0 = performance.now();
    const status = await new Promise<string>((resolve, reject) => proc.health.check({ service: "" }, (err, res) => (err ? reject(err) : resolve(res.status))));
    baseline.push((performance.now() - t0) * 1000);
    if (status !== "SERVING") failures++;
  }
  console.log(
    `[roundtrip] unary echo, 3 rows, ${MEASURED_CALLS} sequential calls: ${percentiles(micros)}, ${Math.round(MEASURED_CALLS / wallSeconds)} calls/s; ` +
      `inside the plugin (stats.duration_us): ${percentiles(pluginSide)}; plugin process CPU ${cpuPerCallUs} µs/call; ` +
      `grpc baseline Health/Check: ${percentiles(baseline)}`,
  );
  expect(failures).toBe(0);
  expect(micros).toHaveLength(MEASURED_CALLS);
});

/** User + system CPU time of a process so far, in ms (from /proc; 10 ms resolution). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

function percentiles(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return `p50 ${at(0.5)} µs, p90 ${at(0.9)} µs, p99 ${at(0.99)} µs`;
}
