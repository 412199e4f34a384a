// Local source dependencies of go and rust plugins (go.mod `replace … => ../x`,
// Cargo `path = "../x"` and `workspace = "../x"`). Their files are part of the
// build cache key, so editing a local SDK checkout rebuilds the plugin.
import { readFile, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";

/** Folders of the local modules a go module replaces its dependencies with (transitively). */
export async function goLocalDeps(dir: string): Promise<string[]> {
  return walk(dir, async (d) => {
    const mod = await readFile(join(d, "go.mod"), "utf8").catch(() => "");
    const targets: string[] = [];
    for (const m of mod.matchAll(/=>\s*(\.{1,2}\/[^\s]*|\/[^\s]*)/g)) targets.push(m[1]!);
    return targets;
  }, "go.mod");
}

/** Folders of the path dependencies and workspace root of a cargo package (transitively). */
export async function cargoLocalDeps(dir: string): Promise<string[]> {
  return walk(dir, async (d) => {
    const toml = await readFile(join(d, "Cargo.toml"), "utf8").catch(() => "");
    const targets: string[] = [];
    for (const m of toml.matchAll(/\bpath\s*=\s*"([^"]+)"/g)) targets.push(m[1]!);
    for (const m of toml.matchAll(/^\s*workspace\s*=\s*"([^"]+)"/gm)) targets.push(m[1]!);
    return targets;
  }, "Cargo.toml");
}

/** The binary a cargo package builds: its only/first `[[bin]]` name, else the package name. */
export async function cargoBinaryName(dir: string): Promise<string | undefined> {
  const toml = await readFile(join(dir, "Cargo.toml"), "utf8").catch(() => "");
  const bins = [...toml.matchAll(/\[\[bin\]\][^[]*?\bname\s*=\s*"([^"]+)"/g)].map((m) => m[1]!);
  if (bins.length) return bins[0];
  return /\[package\][^[]*?\bname\s*=\s*"([^"]+)"/.exec(toml)?.[1];
}

/**
 * Follows `targets(dir)` from `root`, keeping folders that hold `marker`
 * (so file paths like `[[bin]] path` are skipped). Returns them sorted, root excluded.
 */
async function walk(root: string, targets: (dir: string) => Promise<string[]>, marker: string): Promise<string[]> {
  const seen = new Set<string>([resolve(root)]);
  const queue = [resolve(root)];
  while (queue.length) {
    const dir = queue.shift()!;
    for (const t of await targets(dir)) {
      const abs = isAbsolute(t) ? t : resolve(dir, t);
      if (seen.has(abs)) continue;
      const isPackage = await stat(join(abs, marker)).then((s) => s.isFile(), () => false);
      if (!isPackage) continue;
      seen.add(abs);
      queue.push(abs);
    }
  }
  seen.delete(resolve(root));
  return [...seen].sort();
}
