// `node bench/handoff/run.mjs [MiB...]`: moves one table host -> plugin A ->
// plugin B -> host (A = Python, B = TypeScript conformance `echo`) three ways,
// by shared-memory handle (each echo passes its input segment through, §8.2),
// by inline Arrow IPC (one frame each way on the frame lane), and by
// pyarrow Flight over Unix sockets, at 1 MiB, 100 MiB and 1 GiB by default,
// and prints each as time and as a ratio to a raw memcpy of the same bytes.
// Also: one "hop" = the host handing a segment to a plugin step that maps it
// and answers one row (conformance `count`), i.e. the handoff cost itself.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Table, makeVector } from "apache-arrow";
import { PluginHost } from "@heddle/host";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const plugins = join(repo, "test", "conformance", "plugins");
const sizesMiB = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SIZES = (sizesMiB.length ? sizesMiB : [1, 100, 1024]).map((m) => m * 1024 * 1024);
const now = () => Number(process.hrtime.bigint()) / 1e9;
const fmt = (s) => (s < 1e-3 ? `${(s * 1e6).toFixed(0)} µs` : s < 1 ? `${(s * 1e3).toFixed(2)} ms` : `${s.toFixed(2)} s`);
const mib = (b) => (b >= 1 << 30 ? `${b / 2 ** 30} GiB` : `${b / 2 ** 20} MiB`);

/** A one-column int64 table of `bytes` bytes (values 0..n-1 in the low words, written fast). */
function tableOf(bytes) {
  const ids = new BigInt64Array(bytes / 8);
  const words = new Int32Array(ids.buffer);
  for (let i = 0; i < ids.length; i++) words[2 * i] = i;
  return new Table({ id: makeVector(ids) });
}

/** Best of `n` runs of an async function, in seconds. */
async function best(n, fn) {
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    const t0 = now();
    await fn();
    min = Math.min(min, now() - t0);
  }
  return min;
}

function memcpySeconds(bytes) {
  const src = Buffer.alloc(bytes, 1);
  const dst = Buffer.allocUnsafe(bytes);
  src.copy(dst); // fault the pages in first
  let min = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = now();
    src.copy(dst);
    min = Math.min(min, now() - t0);
  }
  return min;
}

async function loadPair(host) {
  const a = await host.load(join(plugins, "python"));
  const b = await host.load(join(plugins, "ts"));
  return { a, b };
}

const shmHost = new PluginHost({ logLevel: "error", healthIntervalMs: 0 });
const plainHost = new PluginHost({ logLevel: "error", healthIntervalMs: 0, shm: false });
const rows = [];
try {
  const shm = await loadPair(shmHost);
  const plain = await loadPair(plainHost);
  for (const p of [shm.a, shm.b]) if (!p.handshake.capabilities.includes("shm")) throw new Error(`${p.name} did not negotiate shm`);
  const counter = (await shm.a.openResource("counter", {})).instanceId;
  const flightDir = mkdtempSync(join("/tmp", "hf-"));
  let flight = [];
  try {
    const out = execFileSync(join(repo, ".venv", "bin", "python"), [join(here, "flight_chain.py"), flightDir, ...SIZES.map(String)], { encoding: "utf8", maxBuffer: 1 << 20 });
    flight = out.trim().split("\n").map((l) => JSON.parse(l));
  } finally {
    rmSync(flightDir, { recursive: true, force: true });
  }
  // Warm-up: the first calls by handle pay for JIT compilation of the host's data-plane code.
  const warm = shmHost.refFromTable(tableOf(1024 * 1024));
  for (let i = 0; i < 30; i++) await shm.a.invoke("count", { input: warm, resources: { counter } });
  warm.release();
  for (const [i, bytes] of SIZES.entries()) {
    const table = tableOf(bytes);
    const memcpy = memcpySeconds(bytes);
    const ref = shmHost.refFromTable(table);
    const hop = await best(5, () => shm.a.invoke("count", { input: ref, resources: { counter } }));
    const chainShm = await best(3, async () => {
      const r1 = await shm.a.invoke("echo", { input: ref, output: "ref" });
      const r2 = await shm.b.invoke("echo", { input: r1, output: "ref" });
      r1.release();
      const back = r2.toTable();
      if (back.numRows !== table.numRows) throw new Error("handle chain lost rows");
      r2.release();
    });
    ref.release();
    const chainInline = await best(bytes > 200 * 2 ** 20 ? 1 : 3, async () => {
      const t1 = await plain.a.invoke("echo", { input: table, stream: true });
      const t2 = await plain.b.invoke("echo", { input: t1, stream: true });
      if (t2.numRows !== table.numRows) throw new Error("inline chain lost rows");
    });
    rows.push({ bytes, memcpy, hop, chainShm, chainInline, flight: flight[i]?.seconds });
  }
} finally {
  await shmHost.close();
  await plainHost.close();
}

console.log("handoff: host -> A (python echo) -> B (ts echo) -> host; times are best of runs; ×memcpy = time / memcpy of the same bytes");
console.log(["size", "memcpy", "1 hop by handle", "chain by handle", "chain inline/streamed", "chain Flight (unix)", "Flight / handle hop"].join(" | "));
for (const r of rows) {
  const x = (s) => (s === undefined ? "n/a" : `${fmt(s)} (${(s / r.memcpy).toFixed(2)}×)`);
  console.log([mib(r.bytes), fmt(r.memcpy), x(r.hop), x(r.chainShm), x(r.chainInline), x(r.flight), r.flight ? `${(r.flight / 3 / r.hop).toFixed(0)}×` : "n/a"].join(" | "));
}
