// Well-known folders of the monorepo used by the tests.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The monorepo root (/work/main). */
export const REPO_ROOT = resolve(here, "../../..");
/** node_modules holding @heddle/sdk, as the host puts on NODE_PATH. */
export const NODE_MODULES = resolve(REPO_ROOT, "node_modules");
/** The TypeScript conformance plugin folder. */
export const CONFORMANCE_PLUGIN = resolve(REPO_ROOT, "test/conformance/plugins/ts");
/** The security example plugin folder. */
export const SECURITY_EXAMPLE = resolve(REPO_ROOT, "examples/ts/security");
/** Extra test-only plugin exercising SDK features beyond the conformance namespace. */
export const EXTRAS_PLUGIN = resolve(here, "../fixtures/extras");
