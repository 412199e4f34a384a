// The frame lane's wire format (docs/protocol.md §5.5): prefix layout, and the
// incremental reader fed the way sockets deliver bytes (any split, many frames
// per read, a payload larger than the scratch buffer).
import { describe, expect, it } from "vitest";
import { FrameProtocolError, FrameReader, KIND_CALL, PREFACE, PREFIX_BYTES, decodeFramePrefix, encodeFrameHead, type Frame } from "../../src/frames/index.js";

/** Encodes a whole frame. */
function frame(callNo: number, message: string, payload?: Buffer): Buffer {
  const head = encodeFrameHead(KIND_CALL, callNo, Buffer.from(message), payload?.length ?? 0);
  return payload ? Buffer.concat([head, payload]) : head;
}

/** Feeds `bytes` to a reader in pieces of `step` bytes, as onread would. */
function feed(reader: FrameReader, bytes: Buffer, step: number): void {
  let offset = 0;
  while (offset < bytes.length) {
    const target = reader.nextBuffer();
    expect(target.length).toBeGreaterThan(0);
    const n = Math.min(target.length, step, bytes.length - offset);
    bytes.copy(target, 0, offset, offset + n);
    offset += n;
    reader.onRead(n);
  }
}

describe("frame prefix", () => {
  it("lays out header length, kind, call number and a 64-bit payload length little-endian", () => {
    const head = encodeFrameHead(2, 0xdeadbeef, Buffer.from("abc"), 2 ** 40 + 5);
    expect(head.length).toBe(PREFIX_BYTES + 3);
    expect([...head.subarray(0, 8)]).toEqual([3, 0, 0, 0, 2, 0, 0, 0]);
    expect(head.readUInt32LE(8)).toBe(0xdeadbeef);
    expect(head.readUInt32LE(16)).toBe(5);
    expect(head.readUInt32LE(20)).toBe(256);
    expect(decodeFramePrefix(head, 0)).toEqual({ kind: 2, callNo: 0xdeadbeef, headerLen: 3, payloadLen: 2 ** 40 + 5 });
  });

  it("rejects set reserved bytes and payloads of 2^53 bytes or more", () => {
    const head = encodeFrameHead(1, 1, Buffer.alloc(0), 0);
    head[6] = 1;
    expect(() => decodeFramePrefix(head, 0)).toThrow(FrameProtocolError);
    const huge = encodeFrameHead(1, 1, Buffer.alloc(0), 0);
    huge.writeUInt32LE(2 ** 21, 20);
    expect(() => decodeFramePrefix(huge, 0)).toThrow(/2\^53/);
  });
});

describe("FrameReader", () => {
  const payload = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  const stream = Buffer.concat([PREFACE, frame(1, "first"), frame(2, "second", payload), frame(3, "")]);

  for (const step of [1, 7, 24, 1 << 20]) {
    it(`parses frames split into pieces of ${step} bytes`, () => {
      const got: Frame[] = [];
      const reader = new FrameReader((f) => got.push(f), true);
      feed(reader, stream, step);
      expect(got.map((f) => [f.callNo, f.message.toString(), f.payload?.length ?? 0])).toEqual([[1, "first", 0], [2, "second", 1000], [3, "", 0]]);
      expect(got[1]!.payload!.equals(payload)).toBe(true);
    });
  }

  it("reads a payload larger than its scratch buffer straight into the payload's own buffer", () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) % 256;
    const got: Frame[] = [];
    const reader = new FrameReader((f) => got.push(f));
    const bytes = frame(9, "big", big);
    let direct = 0;
    let offset = 0;
    while (offset < bytes.length) {
      const target = reader.nextBuffer();
      if (target.length > 256 * 1024) direct++;
      const n = Math.min(target.length, 200 * 1024, bytes.length - offset);
      bytes.copy(target, 0, offset, offset + n);
      offset += n;
      reader.onRead(n);
    }
    expect(got).toHaveLength(1);
    expect(got[0]!.payload!.equals(big)).toBe(true);
    expect(direct).toBeGreaterThan(0);
    expect(got[0]!.payload!.byteOffset % 8).toBe(0);
  });

  it("keeps messages intact after the scratch buffer is reused (they are copied out)", () => {
    const got: Frame[] = [];
    const reader = new FrameReader((f) => got.push(f));
    for (let i = 0; i < 2000; i++) feed(reader, frame(i, `m${i}`), 1 << 20);
    expect(got.map((f) => f.message.toString())).toEqual(Array.from({ length: 2000 }, (_, i) => `m${i}`));
  });

  it("grows for a message larger than its scratch buffer", () => {
    const got: Frame[] = [];
    const reader = new FrameReader((f) => got.push(f));
    const message = "x".repeat(600 * 1024);
    feed(reader, frame(1, message), 64 * 1024);
    expect(got[0]!.message.toString()).toBe(message);
  });

  it("refuses a connection without the preface", () => {
    const reader = new FrameReader(() => undefined, true);
    expect(() => feed(reader, Buffer.from("GET / HTTP/1.1\r\n"), 64)).toThrow(/HDLFRM01/);
  });
});
