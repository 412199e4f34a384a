// Which files of a plugin folder go into its package, in a stable order.
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join, posix, relative, sep } from "node:path";
import { PackageError } from "./errors.js";
import { unsafeEntryReason } from "./archive-rules.js";

/** A file or symbolic link to pack, by its path inside the package. */
export interface PackFile {
  /** POSIX path relative to the plugin folder. */
  path: string;
  /** Absolute path on disk. */
  source: string;
  kind: "file" | "symlink";
  size: number;
  executable: boolean;
  /** Target of a symlink. */
  linkpath?: string;
}

/** Folders and files never packed: dependencies, caches, build output, VCS data. */
const ALWAYS_IGNORED = new Set([".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".pytest_cache", ".mypy_cache", "target", ".DS_Store", ".heddle-install.json", ".heddleignore"]);
const IGNORED_SUFFIXES = [".pyc", ".pyo", ".tgz"];

/**
 * Lists the plugin folder's files, sorted by byte order of their paths, minus
 * what is always ignored and what `.heddleignore` names (one path or `*.ext`
 * per line; a path ignores a file or a whole folder; `#` starts a comment).
 * Throws PackageError UNSAFE_ARCHIVE for a symlink that leaves the folder and
 * USAGE for a socket, FIFO or device inside it.
 */
export async function listPackageFiles(root: string): Promise<PackFile[]> {
  const ignore = await readIgnoreFile(root);
  const files: PackFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const source = join(dir, name);
      const path = relative(root, source).split(sep).join("/");
      if (isIgnored(path, name, ignore)) continue;
      const info = await lstat(source);
      if (info.isDirectory()) await walk(source);
      else if (info.isFile()) files.push({ path, source, kind: "file", size: info.size, executable: (info.mode & 0o111) !== 0 });
      else if (info.isSymbolicLink()) {
        const linkpath = await readlink(source);
        const reason = unsafeEntryReason(path, "SymbolicLink", linkpath);
        if (reason) throw new PackageError("UNSAFE_ARCHIVE", `cannot pack ${reason}`, { hint: "replace the link with the file itself, or list it in .heddleignore" });
        files.push({ path, source, kind: "symlink", size: 0, executable: false, linkpath });
      } else {
        throw new PackageError("USAGE", `cannot pack ${path}: it is not a regular file, folder or symbolic link`, { hint: "remove it or list it in .heddleignore" });
      }
    }
  };
  await walk(root);
  return files.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

/** Whether `path` is `prefix` or inside the folder `prefix`. */
export function isUnder(path: string, prefix: string): boolean {
  const p = posix.normalize(prefix).replace(/\/+$/, "");
  return path === p || path.startsWith(`${p}/`);
}

interface IgnoreRules {
  paths: string[];
  suffixes: string[];
}

async function readIgnoreFile(root: string): Promise<IgnoreRules> {
  let text = "";
  try {
    text = await readFile(join(root, ".heddleignore"), "utf8");
  } catch {
    return { paths: [], suffixes: [] };
  }
  const rules: IgnoreRules = { paths: [], suffixes: [] };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    if (line.startsWith("*.")) rules.suffixes.push(line.slice(1));
    else rules.paths.push(line.replace(/^\/+/, ""));
  }
  return rules;
}

function isIgnored(path: string, name: string, rules: IgnoreRules): boolean {
  if (ALWAYS_IGNORED.has(name)) return true;
  if ([...IGNORED_SUFFIXES, ...rules.suffixes].some((s) => name.endsWith(s))) return true;
  return rules.paths.some((p) => isUnder(path, p));
}
