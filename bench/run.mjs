// `make bench`: runs every benchmark and prints each figure beside its baseline.
import { startup } from "./startup.mjs";
import { smallCall } from "./small-call.mjs";
import { throughput } from "./throughput.mjs";

const only = process.argv[2];
const benches = { startup, "small-call": smallCall, throughput };
for (const [name, fn] of Object.entries(benches)) {
  if (only && only !== name) continue;
  console.log(`\n== ${name}`);
  await fn();
}
