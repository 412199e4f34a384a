// Adds up the reports that scripts/test-all.sh left in test-results/ and prints
// the closing line "N passed, N failed". A suite that exited non-zero without
// reporting a failed test counts as one failure, so a crash can never look green.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
const rows = [];

function count(name, passed, failed) {
  rows.push({ name, passed, failed });
}

for (const file of readdirSync(dir)) {
  const path = join(dir, file);
  if (file.startsWith("vitest-") && file.endsWith(".json")) {
    const r = JSON.parse(readFileSync(path, "utf8"));
    count(file.replace(/\.json$/, ""), r.numPassedTests, r.numFailedTests);
  } else if (file === "pytest.xml") {
    const xml = readFileSync(path, "utf8");
    const m = /<testsuite [^>]*>/.exec(xml)?.[0] ?? "";
    const attr = (k) => Number(new RegExp(`${k}="(\\d+)"`).exec(m)?.[1] ?? 0);
    const failed = attr("failures") + attr("errors");
    count("pytest", attr("tests") - failed - attr("skipped"), failed);
  } else if (file === "go-test.jsonl") {
    let passed = 0, failed = 0;
    for (const line of readFileSync(path, "utf8").split("\n")) {
      if (!line.startsWith("{")) continue;
      const e = JSON.parse(line);
      if (!e.Test) continue;
      if (e.Action === "pass") passed++;
      if (e.Action === "fail") failed++;
    }
    count("go-test", passed, failed);
  } else if (file.endsWith(".tap")) {
    const tap = readFileSync(path, "utf8");
    const n = (k) => Number(new RegExp(`^# ${k} (\\d+)`, "m").exec(tap)?.[1] ?? 0);
    count(file.replace(/\.tap$/, ""), n("pass"), n("fail"));
  } else if (file === "cargo-test.txt") {
    let passed = 0, failed = 0;
    for (const m of readFileSync(path, "utf8").matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
      passed += Number(m[1]);
      failed += Number(m[2]);
    }
    count("cargo-test", passed, failed);
  }
}

// Suites that exited non-zero but reported no failure (crash, compile error).
for (const file of readdirSync(dir).filter((f) => f.endsWith(".rc"))) {
  const name = file.replace(/\.rc$/, "");
  const rc = Number(readFileSync(join(dir, file), "utf8").trim());
  const row = rows.find((r) => r.name === name);
  if (rc !== 0 && (!row || row.failed === 0)) {
    if (row) row.failed += 1;
    else count(name, 0, 1);
    console.log(`suite ${name} exited ${rc} without reporting a failed test: counted as 1 failure`);
  }
}

let passed = 0, failed = 0;
for (const r of rows) {
  console.log(`${r.name.padEnd(20)} ${String(r.passed).padStart(5)} passed ${String(r.failed).padStart(4)} failed`);
  passed += r.passed;
  failed += r.failed;
}
if (passed + failed === 0) failed = 1; // no test ran at all is a failure
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
