#!/usr/bin/env node
// Install benchmark (issue 5): time to install a 10 MB plugin from a local
// registry (download + verify + unpack), as a ratio to the floor measured in
// the same run: `sha512sum` plus `tar -xzf` of the same archive from a local
// file. Targets: <= 1 s and <= 2x the floor.
//
// Run after `npx tsc -b`:   node bench/install/install-bench.mjs [--runs N] [--mb 10]
//
// Measures two things against the same floor:
//   - library: installPackage() in this process (what `install` does, no CLI start-up);
//   - cli:     `heddle-host install` as a subprocess (adds Node start-up and module loading).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const HOST_BIN = join(REPO, "host", "bin", "heddle-host.js");
const REGISTRY_BIN = join(REPO, "registry", "bin", "heddle-registry.js");
const { values } = parseArgs({ options: { runs: { type: "string", default: "5" }, mb: { type: "string", default: "10" } } });
const RUNS = Number(values.runs);
const MB = Number(values.mb);

const root = await mkdtemp(join(tmpdir(), "hh-bench-install-"));
let registry;
try {
  registry = await startRegistry(join(root, "registry"));
  const token = run(process.execPath, [REGISTRY_BIN, "token", "create", "--data", join(root, "registry"), "--scope", "publish:bench/*"]).stdout.trim();

  // a plugin folder holding MB megabytes of incompressible data, so the archive is ~MB megabytes
  const plugin = join(root, "plugin");
  await mkdir(join(plugin, "data"), { recursive: true });
  await writeFile(join(plugin, "heddle-plugin.json"), JSON.stringify({ name: "bench/big", version: "1.0.0", runtime: "python", entrypoint: "plugin.py", provides: { steps: [] } }));
  await writeFile(join(plugin, "plugin.py"), "print('bench')\n");
  await writeFile(join(plugin, "data", "payload.bin"), randomBytes(MB * 1024 * 1024));
  const publisherHome = join(root, "publisher-home");
  run(process.execPath, [HOST_BIN, "publish", plugin, "--registry", registry.url, "--token", token, "--quiet", "--no-describe"], { HEDDLE_HOME: publisherHome });

  // the exact archive the registry serves, as a local file for the floor
  const index = JSON.parse(await (await fetch(`${registry.url}/v1/packages/bench/big`)).text());
  const artifact = index.versions["1.0.0"].artifacts[0];
  const archive = join(root, "archive.tgz");
  await writeFile(archive, Buffer.from(await (await fetch(`${registry.url}${artifact.url}`)).arrayBuffer()));
  const archiveBytes = (await readFile(archive)).length;

  const floor = [];
  const library = [];
  const cli = [];
  const { installPackage } = await import(join(REPO, "host", "dist", "packages", "installer.js"));
  const { closeRegistryConnections } = await import(join(REPO, "host", "dist", "packages", "http-agent.js"));
  for (let i = 0; i <= RUNS; i++) {
    const warmup = i === 0;
    const out = join(root, `floor-${i}`);
    await mkdir(out);
    let t = performance.now();
    run("sha512sum", [archive]);
    run("tar", ["-xzf", archive, "-C", out]);
    if (!warmup) floor.push(performance.now() - t);

    process.env.HEDDLE_HOME = join(root, `lib-home-${i}`);
    t = performance.now();
    await installPackage({ name: "bench/big" }, { registries: [{ name: registry.url, url: registry.url }], quiet: true, log: () => {} });
    if (!warmup) library.push(performance.now() - t);

    const project = join(root, `project-${i}`);
    await mkdir(project);
    t = performance.now();
    run(process.execPath, [HOST_BIN, "install", "bench/big", "--registry", registry.url, "--quiet"], { HEDDLE_HOME: join(root, `cli-home-${i}`) }, project);
    if (!warmup) cli.push(performance.now() - t);
  }
  await closeRegistryConnections();

  const f = median(floor);
  const l = median(library);
  const c = median(cli);
  console.log(`install of a ${(archiveBytes / 1e6).toFixed(1)} MB plugin archive, median of ${RUNS} runs (after 1 warm-up)`);
  console.log(`  floor   sha512sum + tar -xzf (local file)  ${f.toFixed(0).padStart(6)} ms`);
  console.log(`  library installPackage() over HTTP         ${l.toFixed(0).padStart(6)} ms   ratio ${(l / f).toFixed(2)}x   ${verdict(l, f)}`);
  console.log(`  cli     heddle-host install (subprocess)   ${c.toFixed(0).padStart(6)} ms   ratio ${(c / f).toFixed(2)}x   ${verdict(c, f)}`);
  console.log("  targets: <= 1000 ms and <= 2.00x the floor");
} finally {
  await registry?.stop();
  await rm(root, { recursive: true, force: true });
}

function verdict(ms, floorMs) {
  return ms <= 1000 && ms <= 2 * floorMs ? "meets targets" : "misses targets";
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function run(cmd, args, env = {}, cwd = root) {
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return r;
}

async function startRegistry(dataDir) {
  const child = spawn(process.execPath, [REGISTRY_BIN, "serve", "--port", "0", "--quiet", "--data", dataDir], { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let text = "";
    child.stdout.on("data", (c) => {
      text += c;
      const m = /^(http:\/\/\S+)\n/m.exec(text);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`registry exited (${code})`)));
  });
  return {
    url,
    stop: () => new Promise((resolve) => {
      child.once("exit", resolve);
      child.kill("SIGTERM");
    }),
  };
}
