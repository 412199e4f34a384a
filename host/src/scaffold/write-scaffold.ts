// Writes a new plugin folder from a scaffold; never overwrites files.
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { CliError } from "../errors.js";
import { goScaffold } from "./go.js";
import { pythonScaffold } from "./python.js";
import { rustScaffold } from "./rust.js";
import { typescriptScaffold } from "./typescript.js";
import type { ScaffoldFiles, ScaffoldNames } from "./types.js";
import { existsSync } from "node:fs";
import { findUp, HOST_PACKAGE_DIR } from "../runtime/locate.js";

/** Languages `heddle-host new` can scaffold. */
export const SCAFFOLD_LANGUAGES = ["ts", "python", "go", "rust"] as const;
/** One of SCAFFOLD_LANGUAGES. */
export type ScaffoldLanguage = (typeof SCAFFOLD_LANGUAGES)[number];

/** Derives the plugin name and namespace from the folder name (or `name`). */
export function scaffoldNames(dir: string, name?: string): ScaffoldNames {
  const raw = (name ?? basename(resolve(dir))).toLowerCase();
  const pluginName = raw.replace(/[^a-z0-9._-]+/g, "-").replace(/^[^a-z0-9]+/, "") || "plugin";
  const namespace = pluginName.replace(/[^a-z0-9_]+/g, "_").replace(/^([0-9])/, "_$1");
  return { name: pluginName, namespace };
}

/**
 * Creates `dir` with the scaffold of `lang`. Fails with USAGE when the language
 * is unknown or the folder exists and is not empty. Returns the files written.
 */
export async function writeScaffold(dir: string, lang: string, name?: string): Promise<string[]> {
  if (!(SCAFFOLD_LANGUAGES as readonly string[]).includes(lang)) {
    throw new CliError("USAGE", `--lang must be one of ${SCAFFOLD_LANGUAGES.join(", ")}, got ${JSON.stringify(lang)}`, {
      component: "heddle-host new", hint: "e.g. heddle-host new --lang ts my-plugin",
    });
  }
  const abs = resolve(dir);
  const existing = await readdir(abs).catch(() => [] as string[]);
  if (existing.length > 0) {
    throw new CliError("USAGE", `${abs} already exists and is not empty`, {
      component: "heddle-host new", hint: "choose a new folder name",
    });
  }
  const names = scaffoldNames(abs, name);
  const files = await filesFor(lang as ScaffoldLanguage, names);
  await mkdir(abs, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(dirname(join(abs, rel)), { recursive: true });
    await writeFile(join(abs, rel), content);
  }
  return Object.keys(files);
}

async function filesFor(lang: ScaffoldLanguage, names: ScaffoldNames): Promise<ScaffoldFiles> {
  switch (lang) {
    case "ts": return typescriptScaffold(names);
    case "python": return pythonScaffold(names);
    // Go and Rust plugins build against this checkout's SDKs until those are published.
    case "go": return goScaffold(names, join(sdkRoot("sdk-go/go.mod"), "sdk-go"));
    case "rust": return rustScaffold(names, join(sdkRoot("sdk-rust/Cargo.toml"), "sdk-rust"));
  }
}

/** The checkout that holds `marker` above the host package; USAGE when there is none. */
function sdkRoot(marker: string): string {
  const root = findUp(HOST_PACKAGE_DIR, (d) => existsSync(join(d, marker)));
  if (!root) {
    throw new CliError("USAGE", "the Go and Rust scaffolds need the Heddle Host checkout (sdk-go, sdk-rust) next to this host", {
      component: "heddle-host new", hint: "run heddle-host from the repository, or scaffold ts/python",
    });
  }
  return root;
}
