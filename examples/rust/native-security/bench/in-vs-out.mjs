// Times one `security.hash` call on a 1 MiB and a 100 MiB table, in-process
// (this crate, Arrow C Stream) vs out-of-process (examples/rust/security,
// gRPC + Arrow IPC / shm). Run after `npx tsc -b` at the repo root:
//   CARGO_TARGET_DIR=~/.cache/heddle/cargo-target node examples/rust/native-security/bench/in-vs-out.mjs
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Table, Utf8, makeData, makeVector } from "apache-arrow";
import { PluginHost } from "../../../../host/dist/index.js";
import { InProcessPlugin } from "../../../../host/dist/inprocess/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const table = (bytes) => {
  const rows = Math.floor(bytes / 24); // 8 (id) + 4 (offset) + 12 (chars)
  const offsets = new Int32Array(rows + 1).map((_, i) => i * 12);
  const passwords = makeVector(makeData({ type: new Utf8(), length: rows, nullCount: 0, valueOffsets: offsets, data: new Uint8Array(rows * 12).fill(0x61) }));
  return new Table({ id: makeVector(new BigInt64Array(rows).map((_, i) => BigInt(i))), password: passwords });
};
const time = async (f) => { const t = process.hrtime.bigint(); await f(); return Number(process.hrtime.bigint() - t) / 1e6; };
const best = async (n, f) => { let m = Infinity; for (let i = 0; i < n; i++) m = Math.min(m, await time(f)); return m; };

const inproc = await InProcessPlugin.load(join(here, ".."));
const vaultIn = (await inproc.openResource("vault", { api_key: "k" })).instanceId;
const host = new PluginHost();
const outproc = await host.load(join(here, "..", "..", "security"));
const vaultOut = (await outproc.openResource("vault", { api_key: "k" })).instanceId;
for (const [label, bytes] of [["1 MiB", 1 << 20], ["100 MiB", 100 << 20]]) {
  const input = table(bytes);
  const n = bytes > 1 << 20 ? 3 : 20;
  const a = await best(n, () => inproc.invoke("hash", { resources: { vault: vaultIn }, input }));
  const b = await best(n, () => outproc.invoke("hash", { resources: { vault: vaultOut }, input }));
  console.log(`${label} (${input.numRows} rows): in-process ${a.toFixed(1)} ms, out-of-process ${b.toFixed(1)} ms (best of ${n})`);
}
await inproc.stop();
await host.close();
