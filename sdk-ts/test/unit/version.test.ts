// The SDK version reported in the handshake matches the package.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { SDK_NAME, SDK_VERSION } from "../../src/version.js";

it("reports the package's name and version", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  expect(SDK_NAME).toBe(pkg.name);
  expect(SDK_VERSION).toBe(pkg.version);
});
