// The host logger: structured records, filtered by level, sent to a sink.
// Plugin stderr lines are re-emitted through it with the plugin's name.

/** Log levels, lowest first. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const;

/** One of `trace`, `debug`, `info`, `warn`, `error`. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One log record, from the host itself or re-emitted from a plugin. */
export interface LogRecord {
  level: LogLevel;
  message: string;
  /** ISO 8601 time. */
  time: string;
  /** Plugin name when the record comes from (or is about) a plugin. */
  plugin?: string;
  /** Process id of the plugin process the record came from. */
  pid?: number;
  /** `stderr` or `stdout` for lines the plugin printed. */
  stream?: "stderr" | "stdout";
  /** True when a plugin printed a line that was not a JSON log record. */
  raw?: boolean;
  fields?: Record<string, unknown>;
}

/** Receives every record at or above the configured level. */
export type LogSink = (record: LogRecord) => void;

/** Returns true when `value` names a log level. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && (LOG_LEVELS as readonly string[]).includes(value);
}

/** Formats a record as one human line: `time LEVEL [plugin] message key=value`. */
export function formatLogRecord(rec: LogRecord): string {
  const who = rec.plugin ? ` [${rec.plugin}]` : "";
  const fields = rec.fields && Object.keys(rec.fields).length
    ? " " + Object.entries(rec.fields).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ")
    : "";
  return `${rec.time} ${rec.level.toUpperCase().padEnd(5)}${who} ${rec.message}${fields}`;
}

/** The default sink: one formatted line per record on the host's stderr. */
export const stderrSink: LogSink = (rec) => {
  process.stderr.write(formatLogRecord(rec) + "\n");
};

/** A level-filtering logger bound to a sink; `child` adds fixed fields such as the plugin name. */
export class Logger {
  constructor(
    readonly level: LogLevel,
    private readonly sink: LogSink,
    private readonly base: Partial<LogRecord> = {},
  ) {}

  /** True when records at `level` are emitted. */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(this.level);
  }

  /** Emits a full record (used to re-emit plugin lines); never throws, even if the sink does. */
  emit(rec: Omit<LogRecord, "time"> & { time?: string }): void {
    if (!this.enabled(rec.level)) return;
    const record: LogRecord = { ...this.base, ...rec, time: rec.time ?? new Date().toISOString() } as LogRecord;
    try {
      this.sink(record);
    } catch {
      // A broken sink must not break the plugin lifecycle that is logging.
    }
  }

  trace(message: string, fields?: Record<string, unknown>): void { this.emit({ level: "trace", message, fields }); }
  debug(message: string, fields?: Record<string, unknown>): void { this.emit({ level: "debug", message, fields }); }
  info(message: string, fields?: Record<string, unknown>): void { this.emit({ level: "info", message, fields }); }
  warn(message: string, fields?: Record<string, unknown>): void { this.emit({ level: "warn", message, fields }); }
  error(message: string, fields?: Record<string, unknown>): void { this.emit({ level: "error", message, fields }); }

  /** A logger that adds `extra` (e.g. `{ plugin, pid }`) to every record. */
  child(extra: Partial<LogRecord>): Logger {
    return new Logger(this.level, this.sink, { ...this.base, ...extra });
  }
}
