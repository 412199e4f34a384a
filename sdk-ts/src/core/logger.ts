// Structured logger writing the protocol's log format (docs/protocol.md §9):
// one JSON object per line on stderr, {"level","message","time","fields"}.
// The host parses these lines and re-emits them with the plugin's name, so
// stdout stays free for the handshake line.

/** Log levels, lowest first. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const;

/** One of `trace`, `debug`, `info`, `warn`, `error`. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Structured key/values attached to a log line. */
export type LogFields = Record<string, unknown>;

/** Where finished lines go (one line, without the trailing newline). */
export type LogWriter = (line: string) => void;

/** Options of {@link Logger}. */
export interface LoggerOptions {
  /** Lowest level written; default: `HEDDLE_LOG_LEVEL`, else `info`. */
  level?: LogLevel;
  /** Fields added to every line of this logger. */
  fields?: LogFields;
  /** Line sink; default writes to process.stderr. */
  write?: LogWriter;
}

const levelRank: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };

/** True when `value` is a level name. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && value in levelRank;
}

/**
 * Reads the level from `HEDDLE_LOG_LEVEL` (case-insensitive). Unknown or unset
 * values give `info`: a bad level must never stop a plugin from starting.
 */
export function levelFromEnv(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const raw = env.HEDDLE_LOG_LEVEL?.trim().toLowerCase();
  return isLogLevel(raw) ? raw : "info";
}

const writeToStderr: LogWriter = (line) => {
  process.stderr.write(line + "\n");
};

/**
 * Logger handed to plugin code (`ctx.logger`, `plugin.logger`). Never throws:
 * values that JSON cannot encode (bigint, cycles, errors) are converted.
 */
export class Logger {
  /** Lowest level this logger writes. */
  readonly level: LogLevel;
  private readonly minRank: number;
  private readonly fields: LogFields | undefined;
  private readonly write: LogWriter;

  constructor(options: LoggerOptions = {}) {
    this.level = options.level ?? levelFromEnv();
    this.minRank = levelRank[this.level];
    this.fields = options.fields && Object.keys(options.fields).length > 0 ? options.fields : undefined;
    this.write = options.write ?? writeToStderr;
  }

  /** A logger adding `fields` to every line (on top of this logger's own). */
  child(fields: LogFields): Logger {
    return new Logger({ level: this.level, fields: { ...this.fields, ...fields }, write: this.write });
  }

  /** True when lines of `level` are written; use it to skip building costly fields. */
  isEnabled(level: LogLevel): boolean {
    return levelRank[level] >= this.minRank;
  }

  /** Writes one line at `level` when enabled. */
  log(level: LogLevel, message: string, fields?: LogFields): void {
    if (levelRank[level] < this.minRank) return;
    const merged = fields ? (this.fields ? { ...this.fields, ...fields } : fields) : this.fields;
    const record: Record<string, unknown> = { level, message: String(message), time: new Date().toISOString() };
    if (merged && Object.keys(merged).length > 0) record.fields = merged;
    this.write(encodeRecord(record));
  }

  /** Writes at `trace`. */
  trace(message: string, fields?: LogFields): void {
    this.log("trace", message, fields);
  }
  /** Writes at `debug`. */
  debug(message: string, fields?: LogFields): void {
    this.log("debug", message, fields);
  }
  /** Writes at `info`. */
  info(message: string, fields?: LogFields): void {
    this.log("info", message, fields);
  }
  /** Writes at `warn`. */
  warn(message: string, fields?: LogFields): void {
    this.log("warn", message, fields);
  }
  /** Writes at `error`. */
  error(message: string, fields?: LogFields): void {
    this.log("error", message, fields);
  }
}

function encodeRecord(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, jsonSafe);
  } catch {
    // A cycle in the fields: keep the line, drop what cannot be encoded.
    return JSON.stringify({ ...record, fields: { unserializable: String(record.fields) } });
  }
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}
