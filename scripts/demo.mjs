// `make run`: shows the host end to end. Each step prints the exact command a
// user would type, then runs it for real through bin/heddle-host.
import { spawnSync } from "node:child_process";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "host/bin/heddle-host.js");

function show(title, args, { expectFailure = false } = {}) {
  console.log(`\n# ${title}\n$ heddle-host ${args.map((a) => (/[\s{}"'=]/.test(a) ? `'${a}'` : a)).join(" ")}`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: "inherit" });
  if ((r.status !== 0) !== expectFailure) {
    console.error(`demo step failed (exit ${r.status}): ${title}`);
    process.exit(r.status ?? 1);
  }
}

const rel = (p) => relative(root, join(root, p));
const vault = `vault={"api_key":"demo-pepper"}`;

show("What the seed's Python plugin provides", ["describe", rel("examples/python/security")]);
show("The seed's Python plugin hashes passwords (Arrow in, Arrow out)", [
  "call", rel("examples/python/security"), "security.hash",
  "--resource", vault, "--config", `{"algorithm":"sha256"}`,
  "--input", rel("examples/python/security/credentials.json"),
]);
show("The same plugin written with the TypeScript SDK", [
  "call", rel("examples/ts/security"), "security.hash",
  "--resource", vault, "--config", `{"algorithm":"sha256"}`,
  "--input", rel("examples/ts/security/credentials.json"),
]);
show("A bad config is rejected before the step runs, naming the field (expected to fail)", [
  "call", rel("examples/python/security"), "security.hash", "--resource", vault, "--config", `{"algorithm":7}`,
  "--input", rel("examples/python/security/credentials.json"),
], { expectFailure: true });
console.log("\nDemo finished: both SDKs ran through one host and one contract.");
