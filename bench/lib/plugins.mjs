// Where the benchmarks find the plugins and interpreters they measure.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";

export const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const python = join(root, ".venv/bin/python");
export const conformance = (lang) => join(root, "test/conformance/plugins", lang);
/** Languages whose conformance plugin exists in this checkout (BENCH_LANGS=python,ts limits them). */
export const languages = (process.env.BENCH_LANGS?.split(",") ?? ["python", "ts", "go", "rust"]).filter((l) =>
  existsSync(join(conformance(l), "heddle-plugin.json")));
