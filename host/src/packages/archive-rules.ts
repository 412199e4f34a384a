// Twin of registry/src/model/archive-rules.ts: the registry checks uploads with
// the same rules, and the client checks again before writing anything.
import { posix } from "node:path";

/**
 * The rules every archive entry must pass, on the registry at publish time
 * and again in the client before anything is written to disk (the client has
 * a twin). Returns why an entry is unsafe,
 * or null when it is fine.
 *
 * Refused: absolute paths, drive letters, backslashes, NUL bytes, `..`
 * segments, hard links to such paths, symbolic links whose target leaves the
 * package folder, and every entry type that is not a file, folder or link
 * (devices, FIFOs, sparse files...).
 */
export function unsafeEntryReason(path: string, type: string, linkpath?: string): string | null {
  const pathProblem = unsafePathReason(path);
  if (pathProblem) return `${JSON.stringify(path)}: ${pathProblem}`;
  switch (type) {
    case "File":
    case "OldFile":
    case "ContiguousFile":
    case "Directory":
      return null;
    case "Link": {
      const linkProblem = unsafePathReason(linkpath ?? "");
      return linkProblem ? `${JSON.stringify(path)}: hard link target ${JSON.stringify(linkpath)} ${linkProblem}` : null;
    }
    case "SymbolicLink": {
      const target = linkpath ?? "";
      if (target === "" || target.includes("\0") || target.includes("\\") || posix.isAbsolute(target) || /^[a-zA-Z]:/.test(target)) {
        return `${JSON.stringify(path)}: symbolic link to ${JSON.stringify(target)} points outside the package`;
      }
      const resolved = posix.normalize(posix.join(posix.dirname(stripDotSlash(path)), target));
      if (resolved === ".." || resolved.startsWith("../")) {
        return `${JSON.stringify(path)}: symbolic link to ${JSON.stringify(target)} points outside the package`;
      }
      return null;
    }
    default:
      return `${JSON.stringify(path)}: entries of type ${type} are not allowed in a plugin package`;
  }
}

/** Why a path inside an archive is unsafe, or null. */
export function unsafePathReason(path: string): string | null {
  if (path === "") return "empty path";
  if (path.includes("\0")) return "contains a NUL byte";
  if (path.includes("\\")) return "contains a backslash";
  if (posix.isAbsolute(path) || /^[a-zA-Z]:/.test(path)) return "is an absolute path";
  if (stripDotSlash(path).split("/").includes("..")) return "contains a '..' segment";
  return null;
}

function stripDotSlash(path: string): string {
  return path.startsWith("./") ? path.slice(2) : path;
}
