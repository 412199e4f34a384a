// vitest globalSetup: compile sdk-ts/src into dist/ (incremental, a no-op when
// up to date) so plugin processes load the code under test.
import { execFileSync } from "node:child_process";
import { REPO_ROOT } from "./paths.js";

export default function setup(): void {
  execFileSync(`${REPO_ROOT}/node_modules/.bin/tsc`, ["-b", "sdk-ts"], { cwd: REPO_ROOT, stdio: "inherit" });
}
