// `make run`: the whole product in one go, for real. It starts a local Fhub
// registry, publishes this repo's plugins to it, then, as a user on a clean
// machine would (an empty HEDDLE_HOME, an empty folder), installs them by name
// and calls them through the host. Every step prints the command as a user
// would type it before running it. Afterwards the registry keeps serving in
// the foreground until Ctrl-C, unless HEDDLE_DEMO_EXIT=1.
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const HOST_BIN = join(root, "host/bin/heddle-host.js");
const REGISTRY_BIN = join(root, "registry/bin/heddle-registry.js");
const exitWhenDone = process.env.HEDDLE_DEMO_EXIT === "1";

// Everything the demo writes lives in one temp folder, removed on exit: the
// registry's data, the publisher's HEDDLE_HOME (its signing key), and the
// user's clean HEDDLE_HOME and working folder (where heddle.lock lands).
const scratch = mkdtempSync(join(tmpdir(), "heddle-demo-"));
const dataDir = join(scratch, "registry");
const publisherHome = join(scratch, "publisher-home");
const userHome = join(scratch, "home");
const work = join(scratch, "work");
mkdirSync(work, { recursive: true });
copyFileSync(join(root, "examples/python/security/credentials.json"), join(work, "credentials.json"));

let registry; // the registry child process, once started
let stopping = false;
let showRegistryLog = false; // its request log would interleave with the demo's output: shown once the demo is done

/** Shell-quotes an argument for display, the way a user would type it. */
const quote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`);
const say = (text) => process.stdout.write(`${text}\n`);

/** Runs a CLI (heddle-host or heddle-registry) and resolves with its exit code and captured output. */
function run(bin, args, { cwd = root, env = {}, capture = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      env: { ...process.env, HEDDLE_REGISTRY: "", ...env },
      stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit",
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c) => (stdout += c));
    child.stderr?.on("data", (c) => (stderr += c));
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** Prints `$ <name> <args>` then runs it; a step that does not end as expected stops the demo. */
async function step(title, name, args, { cwd = work, env = {}, expectFailure = false, optional = false, capture = false } = {}) {
  say(`\n# ${title}\n$ ${name} ${args.map(quote).join(" ")}`);
  const bin = name === "heddle-registry" ? REGISTRY_BIN : HOST_BIN;
  const r = await run(bin, args, { cwd, env, capture: capture || expectFailure });
  if (expectFailure) {
    process.stdout.write(r.stdout);
    process.stdout.write(r.stderr);
    const code = /^error\[([A-Z_]+)\]/m.exec(r.stderr)?.[1];
    if (r.code === 0 || !code) await finish(1, `expected "${title}" to fail with an error code, but it exited ${r.code}`);
    say(`(exit ${r.code}, error code ${code}: failed as expected)`);
    return r;
  }
  if (r.code !== 0) {
    if (optional) {
      // only the error line: a stack trace from an optional extra would drown the demo
      const error = /^error\[[A-Z_]+\].*$/m.exec(r.stderr)?.[0] ?? r.stderr.trim().split("\n").pop();
      say(`${error}\n(skipped: exit ${r.code}; the demo goes on without it)`);
      return r;
    }
    if (capture) process.stderr.write(r.stderr);
    await finish(r.code, `demo step failed (exit ${r.code}): ${title}`);
  }
  if (capture) process.stdout.write(r.stdout);
  return r;
}

/** Starts `heddle-registry serve --port 0` and resolves with the URL it prints once it accepts requests. */
function startRegistry() {
  const args = ["serve", "--port", "0", "--data", dataDir];
  say(`# Start a local Fhub registry (its data in a temp folder)\n$ heddle-registry ${args.map(quote).join(" ")}`);
  // Its own process group: Ctrl-C reaches only the demo, which then stops the
  // registry with exactly one SIGTERM (a second signal would race its shutdown).
  registry = spawn(process.execPath, [REGISTRY_BIN, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"], detached: true });
  process.on("exit", () => registry.exitCode === null && registry.signalCode === null && registry.kill("SIGTERM"));
  registry.stderr.on("data", (c) => showRegistryLog && process.stderr.write(c));
  return new Promise((resolve, reject) => {
    let text = "";
    registry.stdout.on("data", (chunk) => {
      text += chunk;
      const url = /^(https?:\/\/\S+)$/m.exec(text)?.[1];
      if (url) {
        say(url);
        resolve(url);
      }
    });
    registry.on("exit", (code) => {
      if (!stopping) reject(new Error(`the registry exited (code ${code}) before it printed its URL`));
    });
  });
}

/** Stops the registry (SIGTERM, which it handles cleanly) and waits until it is gone. */
async function stopRegistry() {
  if (!registry || registry.exitCode !== null || registry.signalCode !== null) return;
  await new Promise((resolve) => {
    registry.once("exit", resolve);
    registry.kill("SIGTERM");
  });
}

/** Stops everything the demo started, removes its temp folder, and exits. */
async function finish(code, message) {
  if (stopping) return;
  stopping = true;
  if (message) process.stderr.write(`${message}\n`);
  await stopRegistry();
  rmSync(scratch, { recursive: true, force: true });
  process.exit(code);
}

process.on("SIGINT", () => void finish(130, "\nstopping: registry stopped, demo files removed"));
process.on("SIGTERM", () => void finish(143));

async function demo() {
  const url = await startRegistry();

  // --- the publisher's side --------------------------------------------------
  const token = (await step("Create a token allowed to publish in the fhub and acme namespaces", "heddle-registry",
    ["token", "create", "--data", dataDir, "--scope", "publish:fhub/*", "--scope", "publish:acme/*", "--name", "demo"], { cwd: root, capture: true })).stdout.trim();
  const asPublisher = { cwd: root, env: { HEDDLE_HOME: publisherHome } };
  const publish = (dir, extra = []) => ["publish", dir, "--registry", url, "--token", token, "--quiet", ...extra];
  await step("Publish fhub/ping (Python SDK): signed, packed reproducibly, uploaded", "heddle-host", publish("fhub/ping"), asPublisher);
  await step("Publish the seed's Python security plugin as acme/security", "heddle-host", publish("examples/python/security", ["--namespace", "acme"]), asPublisher);
  await step("Publish the TypeScript security plugin as acme/security-ts (one esbuild bundle)", "heddle-host", publish("examples/ts/security", ["--namespace", "acme"]), asPublisher);
  const go = await step("Publish the Go security plugin as acme/security-go (prebuilt for this machine)", "heddle-host",
    publish("examples/go/security", ["--namespace", "acme", "--build"]), { ...asPublisher, optional: true, capture: true });
  const withGo = go.code === 0;

  // --- a user on a clean machine ---------------------------------------------
  say(`\n# Now a user with an empty HEDDLE_HOME, in an empty folder:\n$ export HEDDLE_HOME=${quote(userHome)}\n$ cd ${quote(work)}`);
  const asUser = { cwd: work, env: { HEDDLE_HOME: userHome } };
  await step("What the registry offers", "heddle-host", ["search", "--registry", url], asUser);
  await step("Install fhub/ping: resolved, verified (sha512 + signatures), unpacked, pinned in heddle.lock", "heddle-host",
    ["install", "fhub/ping", "--registry", url], asUser);
  await step("Call its ping.echo step by name: one row {message}", "heddle-host",
    ["call", "fhub/ping", "ping.echo", "--config", `{"message":"hello from make run"}`], asUser);
  const plugins = ["acme/security@^0.1", "acme/security-ts", ...(withGo ? ["acme/security-go"] : [])];
  await step("Install the security plugins (one per SDK)", "heddle-host", ["install", ...plugins, "--registry", url, "--quiet"], asUser);
  const vault = `vault={"api_key":"demo-pepper"}`;
  const hash = (name) => ["call", name, "security.hash", "--resource", vault, "--config", `{"algorithm":"sha256"}`, "--input", "credentials.json"];
  await step("The seed's Python plugin hashes passwords (Arrow in, Arrow out)", "heddle-host", hash("acme/security"), asUser);
  await step("The same plugin written with the TypeScript SDK gives the same hashes", "heddle-host", hash("acme/security-ts"), asUser);
  const goRan = withGo && (await step("And with the Go SDK", "heddle-host", hash("acme/security-go"), { ...asUser, optional: true, capture: true })).code === 0;
  await step("A bad config is rejected before the step runs, naming the field (expected to fail)", "heddle-host",
    ["call", "acme/security", "security.hash", "--resource", vault, "--config", `{"algorithm":7}`, "--input", "credentials.json"], { ...asUser, expectFailure: true });
  await step("What is installed, and what heddle.lock pins (*)", "heddle-host", ["list"], asUser);

  say(`\nDemo finished: ${goRan ? "three SDKs" : "two SDKs"} and fhub/ping, published, installed and called through one host and one contract.`);
  if (exitWhenDone) return finish(0);
  showRegistryLog = true;
  say(`\nThe registry keeps serving at ${url} (request log below). Try, from another terminal:`);
  say(`  HEDDLE_HOME=${quote(userHome)} node ${quote(HOST_BIN)} search --registry ${url}`);
  say(`  HEDDLE_HOME=$(mktemp -d) node ${quote(HOST_BIN)} install fhub/ping --registry ${url} --no-save`);
  say("Press Ctrl-C to stop it (the demo's temp files are removed then).");
  registry.on("exit", (code) => void finish(code ?? 0, "the registry stopped"));
}

demo().catch((err) => void finish(1, `demo failed: ${err?.message ?? err}`));
