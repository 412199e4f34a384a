// Parsing plugin stderr lines into log records (protocol §9).
import { describe, expect, it } from "vitest";
import { LineTail, parseLogLine } from "../src/process/stderr-log.js";

describe("parseLogLine", () => {
  it("reads the protocol's JSON shape", () => {
    expect(parseLogLine('{"level":"warn","message":"disk low","time":"2026-11-22T10:00:00.000Z","fields":{"free":3}}')).toEqual({
      level: "warn", message: "disk low", time: "2026-11-22T10:00:00.000Z", fields: { free: 3 }, raw: false,
    });
  });

  it("reads go-plugin's @level/@message/@timestamp with top-level fields", () => {
    expect(parseLogLine('{"@level":"debug","@message":"tick","@timestamp":"2026-01-01T00:00:00Z","n":2}')).toEqual({
      level: "debug", message: "tick", time: "2026-01-01T00:00:00Z", fields: { n: 2 }, raw: false,
    });
  });

  it("maps level aliases and unknown levels", () => {
    expect(parseLogLine('{"level":"WARNING","message":"m"}').level).toBe("warn");
    expect(parseLogLine('{"level":"fatal","message":"m"}').level).toBe("error");
    expect(parseLogLine('{"level":"chatty","message":"m"}').level).toBe("info");
  });

  it("keeps anything else as a raw info line", () => {
    for (const line of ["plain text", "{ not json", '{"no":"level or message"}', '["array"]', ""]) {
      expect(parseLogLine(line)).toEqual({ level: "info", message: line, raw: true });
    }
  });
});

describe("LineTail", () => {
  it("keeps only the last N lines", () => {
    const tail = new LineTail(3);
    for (const l of ["a", "b", "c", "d", "e"]) tail.push(l);
    expect(tail.last()).toEqual(["c", "d", "e"]);
    expect(tail.last(2)).toEqual(["d", "e"]);
  });
});
