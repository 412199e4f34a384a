// Vitest settings for the cross-language tests (fixtures and conformance).
// They start real plugin processes, so the timeouts are generous; each test
// file runs in its own forked process so plugins never share a host.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**", "fixtures/**/node_modules/**"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
