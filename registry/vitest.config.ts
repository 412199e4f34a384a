// Vitest settings for @heddle/registry. The server tests start the real
// `heddle-registry` CLI (build first: `npx tsc -b` at the repo root).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
