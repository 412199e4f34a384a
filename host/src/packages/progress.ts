// Transfer progress on stderr: a redrawn bar on a terminal, plain lines
// otherwise (logs and CI keep a readable record instead of carriage returns).

/** Reports one transfer. */
export interface Progress {
  /** Called once the total size is known. */
  start(totalBytes: number): void;
  /** Bytes moved since the last call. */
  advance(bytes: number): void;
  /** The transfer finished; `note` is appended to the final line. */
  done(note?: string): void;
  /** The transfer failed: finish the bar without a success line. */
  fail(): void;
}

/** Where progress goes and whether to draw a bar. */
export interface ProgressTarget {
  write(text: string): void;
  isTTY: boolean;
  columns?: number;
}

const stderrTarget: ProgressTarget = {
  write: (text) => void process.stderr.write(text),
  get isTTY() {
    return Boolean(process.stderr.isTTY);
  },
  get columns() {
    return process.stderr.columns;
  },
};

/** Progress that prints nothing (for --quiet). */
export const silentProgress: Progress = { start() {}, advance() {}, done() {}, fail() {} };

/**
 * A progress reporter for a transfer called `label` (e.g. `acme/security@1.2.0`)
 * doing `verb` (e.g. `download`). Redraws at most every 100 ms on a TTY.
 */
export function createProgress(label: string, verb: string, target: ProgressTarget = stderrTarget): Progress {
  let total = 0;
  let moved = 0;
  let lastDraw = 0;
  const started = performance.now();
  const draw = (force: boolean): void => {
    const now = performance.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const ratio = total > 0 ? Math.min(1, moved / total) : 0;
    const width = Math.max(10, Math.min(30, (target.columns ?? 80) - label.length - 40));
    const filled = Math.round(ratio * width);
    target.write(`\r${label} [${"=".repeat(filled)}${filled < width ? ">" : ""}${" ".repeat(Math.max(0, width - filled - 1))}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${formatBytes(moved)}/${formatBytes(total)}\x1b[K`);
  };
  return {
    start(totalBytes) {
      total = totalBytes;
      if (target.isTTY) draw(true);
      else target.write(`${label}: ${verb}ing ${formatBytes(totalBytes)}\n`);
    },
    advance(bytes) {
      moved += bytes;
      if (target.isTTY) draw(false);
    },
    done(note) {
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      const line = `${label}: ${verb}ed ${formatBytes(moved)} in ${seconds} s${note ? `, ${note}` : ""}`;
      target.write(target.isTTY ? `\r${line}\x1b[K\n` : `${line}\n`);
    },
    fail() {
      if (target.isTTY) target.write("\n");
    },
  };
}

/** `1.5 MB`, `320 kB`, `12 B`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(0)} kB`;
  return `${bytes} B`;
}
