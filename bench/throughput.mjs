// Inline Arrow throughput: a 200 MB table sent to a plugin's `echo` step and
// back through the host as Arrow IPC (one frame each way on the frame lane,
// chunked InvokeStream for plugins without it), against a raw Buffer.copy of
// the same number of bytes, measured in the same run.
import { Table, tableToIPC, makeVector } from "apache-arrow";
import { PluginHost } from "@heddle/host";
import { nowUs, ratio } from "./lib/stats.mjs";
import { conformance, languages } from "./lib/plugins.mjs";

const BYTES = 200 * 1000 * 1000;
const ROWS = BYTES / 16; // one int64 + one float64 column

function bigTable() {
  const ids = new BigInt64Array(ROWS);
  const vals = new Float64Array(ROWS);
  for (let i = 0; i < ROWS; i++) { ids[i] = BigInt(i); vals[i] = i * 0.5; }
  return new Table({ id: makeVector(ids), v: makeVector(vals) });
}

export async function throughput() {
  const table = bigTable();
  const ipcBytes = tableToIPC(table, "stream").byteLength;
  const src = Buffer.alloc(ipcBytes, 1), dst = Buffer.alloc(ipcBytes);
  src.copy(dst); // warm
  let t0 = nowUs();
  for (let i = 0; i < 5; i++) src.copy(dst);
  const copyGBs = (5 * ipcBytes) / ((nowUs() - t0) / 1e6) / 1e9;
  console.log(`Buffer.copy of ${(ipcBytes / 1e6).toFixed(0)} MB: ${copyGBs.toFixed(2)} GB/s`);
  // shm off: this measures inline Arrow IPC (bench/handoff measures handles).
  const host = new PluginHost({ logLevel: "error", shm: false });
  try {
    for (const lang of languages) {
      const plugin = await host.load(conformance(lang));
      await plugin.invoke("echo", { config: {}, input: table.slice(0, 1000), stream: true });
      // Three timed runs: the first pays for faulting in fresh 200 MB buffers on both sides.
      const times = [];
      for (let run = 0; run < 3; run++) {
        t0 = nowUs();
        const out = await plugin.invoke("echo", { config: {}, input: table, stream: true });
        times.push((nowUs() - t0) / 1e6);
        if (out.numRows !== ROWS) throw new Error(`echo returned ${out.numRows} rows, expected ${ROWS}`);
      }
      const gbs = (secs) => (2 * ipcBytes) / secs / 1e9;
      const [first, median, best] = [times[0], [...times].sort((a, b) => a - b)[1], Math.min(...times)];
      console.log(`host→${lang}→host ${(ipcBytes / 1e6).toFixed(0)} MB each way (both directions counted): median ${gbs(median).toFixed(2)} GB/s (${median.toFixed(2)} s), best ${gbs(best).toFixed(2)} GB/s, first ${gbs(first).toFixed(2)} GB/s | median ${ratio(gbs(median), copyGBs)} of Buffer.copy`);
      await plugin.stop();
    }
  } finally {
    await host.close();
  }
}
