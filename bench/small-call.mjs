// Small-call round trip: a one-row table through `conformance.echo`, host→plugin,
// sequential (p50/p99) and with 8 calls in flight (calls/s), against a raw
// grpc-js echo server on the same kind of Unix socket, measured in the same run.
// Per plugin three ways: IPC bytes in and out over the frame lane (what the host
// pays when it forwards tables between steps), the same with JS Tables (adds
// apache-arrow encode + decode in the host), and IPC bytes over gRPC (frames off).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { PluginHost } from "@heddle/host";
import { percentile, nowUs, fmtUs, ratio } from "./lib/stats.mjs";
import { conformance, languages } from "./lib/plugins.mjs";

const require = createRequire(import.meta.url);
const grpc = require("@grpc/grpc-js");
const { service } = require("./lib/echo-service.cjs");

const SEQ = 3000, CONC = 8, CONC_CALLS = 6000;

async function measure(call) {
  for (let i = 0; i < 300; i++) await call(); // warm-up
  const lat = [];
  for (let i = 0; i < SEQ; i++) {
    const t0 = nowUs();
    await call();
    lat.push(nowUs() - t0);
  }
  let left = CONC_CALLS;
  const t0 = nowUs();
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (left-- > 0) await call();
  }));
  const perSec = CONC_CALLS / ((nowUs() - t0) / 1e6);
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), perSec };
}

async function rawBaseline(payload) {
  const dir = mkdtempSync(join(tmpdir(), "hb-"));
  const sock = join(dir, "s");
  const child = spawn(process.execPath, [require.resolve("./lib/raw-echo-server.cjs"), sock], { stdio: ["pipe", "pipe", "inherit"] });
  await once(child.stdout, "data");
  const Client = grpc.makeGenericClientConstructor(service, "Echo");
  const client = new Client(`unix://${sock}`, grpc.credentials.createInsecure());
  const call = () => new Promise((res, rej) => client.echo(payload, (e, r) => (e ? rej(e) : res(r))));
  try {
    return await measure(call);
  } finally {
    client.close();
    child.stdin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

const show = (name, m) =>
  `${name.padEnd(26)} p50 ${fmtUs(m.p50).padStart(9)}  p99 ${fmtUs(m.p99).padStart(9)}  ${Math.round(m.perSec).toString().padStart(6)} calls/s`;

export async function smallCall() {
  const input = tableFromArrays({ id: BigInt64Array.from([1n]), name: ["a"] });
  const ipc = tableToIPC(input, "stream");
  const raw = await rawBaseline(Buffer.from(ipc));
  console.log(show("raw grpc-js echo", raw));
  const ways = [
    ["frames, bytes", { frames: true }, { input: ipc, output: "ipc" }],
    ["frames, Table", { frames: true }, { input }],
    ["gRPC, bytes", { frames: false }, { input: ipc, output: "ipc" }],
  ];
  for (const lang of languages) {
    for (const [way, hostOptions, callOptions] of ways) {
      const host = new PluginHost({ logLevel: "error", ...hostOptions });
      try {
        const plugin = await host.load(conformance(lang));
        const m = await measure(() => plugin.invoke("echo", { config: {}, ...callOptions }));
        console.log(`${show(`host→${lang} ${way}`, m)}  | p50 ${ratio(m.p50, raw.p50)} of raw, calls/s ${ratio(m.perSec, raw.perSec)} of raw`);
      } finally {
        await host.close();
      }
    }
  }
}
