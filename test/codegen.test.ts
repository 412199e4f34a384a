// The generated code of every SDK is committed; this fails when it no longer
// matches what proto/ generates (someone edited a .proto without `npm run gen`,
// or edited generated code by hand).
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

it("generated code matches proto/", () => {
  const out = execFileSync("bash", [join(root, "scripts/gen-proto.sh"), "--check"], {
    cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"],
  });
  expect(out).toContain("generated code matches proto/");
}, 300_000);
