// The protocol's log format (docs/protocol.md §9) and HEDDLE_LOG_LEVEL.
import { describe, expect, it } from "vitest";
import { Logger, levelFromEnv } from "../../src/core/logger.js";

function capture(level?: "trace" | "debug" | "info" | "warn" | "error") {
  const lines: string[] = [];
  return { lines, logger: new Logger({ level, write: (line) => lines.push(line) }) };
}

describe("Logger", () => {
  it("writes one JSON object per line with level, message, time and fields", () => {
    const { lines, logger } = capture("info");
    logger.info("opened vault", { instance: "vault-1" });
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!);
    expect(Object.keys(record)).toEqual(["level", "message", "time", "fields"]);
    expect(record).toMatchObject({ level: "info", message: "opened vault", fields: { instance: "vault-1" } });
    expect(new Date(record.time).toISOString()).toBe(record.time);
  });

  it("omits fields when there are none", () => {
    const { lines, logger } = capture("info");
    logger.warn("plain");
    expect(JSON.parse(lines[0]!)).not.toHaveProperty("fields");
  });

  it("drops lines below its level", () => {
    const { lines, logger } = capture("warn");
    logger.trace("t");
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    expect(lines.map((l) => JSON.parse(l).level)).toEqual(["warn", "error"]);
    expect(logger.isEnabled("info")).toBe(false);
    expect(logger.isEnabled("error")).toBe(true);
  });

  it("adds a child's bound fields under the call's own", () => {
    const { lines, logger } = capture("debug");
    logger.child({ call_id: "c1", step: "s" }).debug("x", { step: "override", n: 1 });
    expect(JSON.parse(lines[0]!).fields).toEqual({ call_id: "c1", step: "override", n: 1 });
  });

  it("encodes bigint, errors and cycles without throwing", () => {
    const { lines, logger } = capture("info");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    logger.info("values", { big: 2n ** 70n, err: new Error("boom") });
    logger.info("cycle", { cyclic });
    const first = JSON.parse(lines[0]!);
    expect(first.fields.big).toBe("1180591620717411303424");
    expect(first.fields.err).toMatchObject({ name: "Error", message: "boom" });
    expect(JSON.parse(lines[1]!).message).toBe("cycle");
  });

  it("reads HEDDLE_LOG_LEVEL, defaulting to info", () => {
    expect(levelFromEnv({ HEDDLE_LOG_LEVEL: "debug" })).toBe("debug");
    expect(levelFromEnv({ HEDDLE_LOG_LEVEL: " WARN " })).toBe("warn");
    expect(levelFromEnv({ HEDDLE_LOG_LEVEL: "loud" })).toBe("info");
    expect(levelFromEnv({})).toBe("info");
    expect(new Logger({ write: () => {} }).level).toBe(levelFromEnv());
  });
});
