// start→ready: how long `host.load()` takes (spawn, handshake line, Handshake
// RPC, Describe) against the floor of starting the same interpreter and
// importing the same libraries, measured in the same run.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PluginHost } from "@heddle/host";
import { median, nowUs, fmtUs, ratio } from "./lib/stats.mjs";
import { conformance, languages, python, root } from "./lib/plugins.mjs";

const RUNS = 15;

/** The bare-interpreter floor per language: same runtime, same libraries, no plugin. */
const floors = {
  // The libraries the conformance plugins import (the Python one uses pyarrow.compute).
  python: [python, ["-c", "import grpc, grpc_health.v1.health, google.protobuf, pyarrow, pyarrow.ipc, pyarrow.compute"]],
  ts: [process.execPath, ["-e", "require('@grpc/grpc-js'); require('grpc-health-check'); require('apache-arrow'); require('zod')"]],
  go: ["true", []],
  rust: ["true", []],
};

function timeCommand(cmd, args) {
  const t0 = nowUs();
  const r = spawnSync(cmd, args, { env: { ...process.env, NODE_PATH: join(root, "node_modules") } });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return nowUs() - t0;
}

export async function startup() {
  const host = new PluginHost({ logLevel: "error" });
  try {
    for (const lang of languages) {
      await (await host.load(conformance(lang))).stop(); // warm caches (transpile/build)
      const [cmd, args] = floors[lang];
      // Load and bare run alternate, so a change in the machine's load falls on both alike.
      const loads = [], bare = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = nowUs();
        const p = await host.load(conformance(lang));
        loads.push(nowUs() - t0);
        await p.stop();
        bare.push(timeCommand(cmd, args));
      }
      const l = median(loads), b = median(bare);
      const lMin = Math.min(...loads), bMin = Math.min(...bare);
      console.log(`${lang.padEnd(7)} start→ready p50 ${fmtUs(l).padStart(10)} | bare ${cmd === "true" ? "exec" : "import"} ${fmtUs(b).padStart(10)} | ratio ${ratio(l, b)} | overhead ${fmtUs(l - b)} (fastest: ${fmtUs(lMin)} vs ${fmtUs(bMin)}, ${fmtUs(lMin - bMin)})`);
    }
  } finally {
    await host.close();
  }
}
