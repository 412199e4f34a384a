// Plugin stderr lines (protocol §9): JSON log records (level/message/time/
// fields, or go-plugin's @level/@message/@timestamp) or plain text.
import type { LogLevel } from "../logger.js";

/** A stderr line turned into a log record. */
export interface ParsedLogLine {
  level: LogLevel;
  message: string;
  time?: string;
  fields?: Record<string, unknown>;
  /** True when the line was not a JSON log record (kept as is at info). */
  raw: boolean;
}

const LEVEL_ALIASES: Record<string, LogLevel> = {
  trace: "trace", debug: "debug", info: "info", information: "info", notice: "info",
  warn: "warn", warning: "warn", error: "error", err: "error", fatal: "error", critical: "error", panic: "error",
};

const STANDARD_KEYS = new Set(["level", "@level", "message", "@message", "msg", "time", "@timestamp", "timestamp", "fields"]);

/** Parses one stderr line. Never throws: anything that is not a JSON record is a raw info line. */
export function parseLogLine(line: string): ParsedLogLine {
  const text = line.replace(/\r$/, "");
  const trimmed = text.trim();
  if (trimmed.startsWith("{") && trimmed.endsWith("}")) {
    try {
      const obj = JSON.parse(trimmed) as Record<string, unknown>;
      const rawLevel = obj.level ?? obj["@level"];
      const message = obj.message ?? obj["@message"] ?? obj.msg;
      if (typeof obj === "object" && obj !== null && typeof message === "string" && rawLevel !== undefined) {
        const level = LEVEL_ALIASES[String(rawLevel).toLowerCase()] ?? "info";
        const time = obj.time ?? obj["@timestamp"] ?? obj.timestamp;
        const fields: Record<string, unknown> = {};
        if (obj.fields && typeof obj.fields === "object" && !Array.isArray(obj.fields)) Object.assign(fields, obj.fields);
        // go-plugin (hclog) puts fields at the top level: keep every non-standard key.
        for (const [k, v] of Object.entries(obj)) if (!STANDARD_KEYS.has(k)) fields[k] = v;
        return {
          level,
          message,
          time: typeof time === "string" ? time : undefined,
          fields: Object.keys(fields).length ? fields : undefined,
          raw: false,
        };
      }
    } catch {
      // not JSON after all: a raw line
    }
  }
  return { level: "info", message: text, raw: true };
}

/** A bounded list of the last lines a process printed, quoted in crash errors. */
export class LineTail {
  private readonly lines: string[] = [];
  constructor(private readonly max: number) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }

  /** The last `n` lines (all kept lines by default). */
  last(n = this.max): string[] {
    return this.lines.slice(-n);
  }
}
