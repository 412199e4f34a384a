// A Node frame-lane client (protocol §5.5) for sdk-python/bench/frames_roundtrip.py: times N 1-row echo calls
// from Node to a Python plugin's `.frames` socket, the way a host would make them (one connection, event loop,
// the result's payload decoded with apache-arrow). The driver passes the call frame it built; this script only
// repeats it, so no protobuf library is needed here.
//   node frames_node_client.mjs <frames socket> <call frame as hex> [N]
import { createConnection } from "node:net";
import * as arrow from "apache-arrow";

const [path, frameHex, countText] = process.argv.slice(2);
const count = Number(countText ?? 3000);
const frame = Buffer.from(frameHex, "hex");

const socket = createConnection(path);
await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
socket.setNoDelay?.(true);
socket.write(Buffer.from("HDLFRM01"));

let pending = null; // { resolve } of the call in flight
let chunks = [];
let buffered = 0;
socket.on("data", (data) => {
  chunks.push(data);
  buffered += data.length;
  if (buffered < 24) return;
  const head = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  const headerLen = head.readUInt32LE(0);
  const payloadLen = Number(head.readBigUInt64LE(16));
  if (buffered < 24 + headerLen + payloadLen) return;
  chunks = [];
  buffered = 0;
  const payload = head.subarray(24 + headerLen, 24 + headerLen + payloadLen);
  const table = payloadLen ? arrow.tableFromIPC(payload) : null;
  const done = pending;
  pending = null;
  done.resolve(table);
});

function call() {
  return new Promise((resolve) => {
    pending = { resolve };
    socket.write(frame);
  });
}

for (let i = 0; i < 500; i++) await call();
const samples = [];
for (let i = 0; i < count; i++) {
  const start = process.hrtime.bigint();
  const table = await call();
  samples.push(Number(process.hrtime.bigint() - start) / 1000);
  if (i === 0 && table.numRows !== 1) throw new Error(`echo answered ${table.numRows} rows`);
}
samples.sort((a, b) => a - b);
const at = (f) => samples[Math.min(samples.length - 1, Math.floor(samples.length * f))].toFixed(0);
console.log(`node frames echo (1-row table in and out): n=${count} p50=${at(0.5)}us p90=${at(0.9)}us p99=${at(0.99)}us`);
socket.end();
