// Host → Python small-call round trip through the real host library (@heddle/host, grpc-js client).
// Loads the Python conformance plugin and times N `invoke("echo")` of a 1-row table and
// N `invoke("generate", {rows: 1})`; prints p50/p90/p99. Needs the host built (`npx tsc -b`).
//   node sdk-python/bench/host_roundtrip.mjs [N]
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as arrow from "apache-arrow"; // the same (ESM) build the host uses, so tables are recognised
import { PluginHost } from "@heddle/host";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

const count = Number(process.argv[2] ?? 3000);
const host = new PluginHost({ logLevel: "warn" });
try {
  const plugin = await host.load(join(repo, "test", "conformance", "plugins", "python"));
  const input = arrow.tableFromArrays({ id: BigInt64Array.from([1n]), name: ["a"] });
  const cases = {
    "host invoke echo (1-row table in and out)": () => plugin.invoke("echo", { config: {}, input }),
    "host invoke generate rows=1 (no input)": () => plugin.invoke("generate", { config: { rows: 1 } }),
  };
  for (const call of Object.values(cases)) for (let i = 0; i < 300; i++) await call();
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < count; i++) {
    for (const [name, call] of Object.entries(cases)) {
      const start = process.hrtime.bigint();
      await call();
      samples[name].push(Number(process.hrtime.bigint() - start) / 1000);
    }
  }
  for (const [name, values] of Object.entries(samples)) {
    values.sort((a, b) => a - b);
    const at = (f) => values[Math.min(values.length - 1, Math.floor(values.length * f))].toFixed(0);
    console.log(`${name}: n=${count} p50=${at(0.5)}us p90=${at(0.9)}us p99=${at(0.99)}us`);
  }
} finally {
  await host.close();
}
