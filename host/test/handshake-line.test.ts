// Parsing the plugin's handshake line (protocol §2.2 step 4, §2.3 step 3).
import { describe, expect, it } from "vitest";
import { parseHandshakeLine } from "../src/process/handshake-line.js";
import type { HostError } from "../src/errors.js";

const parse = (line: string) => parseHandshakeLine(line, [1], "p");
const errorOf = (line: string) => {
  try {
    parse(line);
  } catch (err) {
    return err as HostError;
  }
  throw new Error("expected an error");
};

describe("parseHandshakeLine", () => {
  it("parses a good line (also with CRLF)", () => {
    expect(parse("HEDDLE|1|1|unix|/tmp/hh-abc/p.sock|grpc")).toEqual({
      kind: "handshake", protocolVersion: 1, network: "unix", address: "/tmp/hh-abc/p.sock", wire: "grpc",
    });
    expect(parse("HEDDLE|1|1|unix|/tmp/x.sock|grpc\r")).toMatchObject({ address: "/tmp/x.sock" });
  });

  it("treats lines that do not start with HEDDLE| as stray output", () => {
    for (const line of ["", "hello", "HEDDLE", "heddle|1|1|unix|/x|grpc", " HEDDLE|1|1|unix|/x|grpc"]) {
      expect(parse(line)).toEqual({ kind: "stray" });
    }
  });

  it.each([
    ["HEDDLE|1|1|unix|/x", "6 fields"],
    ["HEDDLE|1|1|unix|/x|grpc|extra", "6 fields"],
    ["HEDDLE|2|1|unix|/x|grpc", "format must be 1"],
    ["HEDDLE|1|one|unix|/x|grpc", "positive integer"],
    ["HEDDLE|1|0|unix|/x|grpc", "positive integer"],
    ["HEDDLE|1|1|tcp|/x|grpc", "network"],
    ["HEDDLE|1|1|unix|relative.sock|grpc", "absolute"],
    ["HEDDLE|1|1|unix|/x|netrpc", "wire protocol"],
  ])("rejects %s with HANDSHAKE_FAILED (%s)", (line, text) => {
    const err = errorOf(line);
    expect(err.code).toBe("HANDSHAKE_FAILED");
    expect(err.message).toContain(text);
  });

  it("rejects a version the host did not offer with PROTOCOL_MISMATCH", () => {
    const err = errorOf("HEDDLE|1|99|unix|/x|grpc");
    expect(err.code).toBe("PROTOCOL_MISMATCH");
    expect(err.message).toContain("99");
  });
});
