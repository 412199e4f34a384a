// Parses the CLI's byte sizes: "1048576", "64KiB", "1MiB", "2GB", "512M",
// and (for budgets) "50%" of RAM.
import { totalmem } from "node:os";
import { CliError } from "../errors.js";

const UNITS: Record<string, number> = {
  "": 1, b: 1,
  k: 1024, kb: 1000, kib: 1024,
  m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3,
};

/** Parses `text` for `flag`. Fails with USAGE naming the flag and showing the accepted forms. */
export function parseByteSize(text: string, flag: string, allowPercent = false): number {
  const pct = allowPercent ? /^(\d+(?:\.\d+)?)%$/.exec(text.trim()) : null;
  if (pct) {
    const share = Number(pct[1]);
    if (share > 0 && share <= 100) return Math.floor((totalmem() * share) / 100);
  }
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  const bytes = m && unit ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new CliError("USAGE", `${flag} must be a size such as 1048576, 64KiB, 1MiB or 2GiB${allowPercent ? " (or a share of RAM such as 50%)" : ""}, got ${JSON.stringify(text)}`, {
      component: flag, hint: `e.g. ${flag} ${allowPercent ? "8GiB" : "1MiB"}`,
    });
  }
  return bytes;
}
