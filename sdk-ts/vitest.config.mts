import { defineConfig } from "vitest/config";

// Unit tests import src/ directly; end-to-end tests run plugins the way the
// host does (esbuild → CommonJS, NODE_PATH → repo node_modules), which loads
// @heddle/sdk from dist/, so globalSetup rebuilds dist first.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/build-sdk.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
