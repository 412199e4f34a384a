// Vitest settings for @heddle/host. Many tests start real plugin processes or
// run the CLI as a subprocess (build first: `npx tsc -b` at the repo root).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
