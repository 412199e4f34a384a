// `heddle-host inspect memory`: the live segments of every running host on
// this machine (for this HEDDLE_HOME), read from the snapshots the hosts
// publish under $HEDDLE_HOME/run/.
import type { Command } from "commander";
import { readHostStates, type HostMemoryState } from "../../data/state-file.js";
import { defaultHeddleHome } from "../../options.js";

/** Registers `inspect` and its sub-command `memory`. */
export function registerInspectCommand(program: Command): void {
  const inspect = program.command("inspect").description("look inside running hosts (inspect memory: live shared-memory segments)");
  inspect
    .command("memory")
    .description("list live shared-memory segments of every running host: sizes, producers, holders, spills")
    .option("--json", "print the snapshots as JSON")
    .action((opts: { json?: boolean }) => {
      const states = readHostStates(defaultHeddleHome());
      if (opts.json) {
        process.stdout.write(JSON.stringify(states, null, 2) + "\n");
        return;
      }
      if (states.length === 0) {
        process.stdout.write(`no running host has published its memory (looked in ${defaultHeddleHome()}/run)\n`);
        return;
      }
      process.stdout.write(states.map(formatHost).join("\n"));
    });
}

/** Human text for one host. */
export function formatHost(s: HostMemoryState): string {
  const lines = [
    `host pid ${s.pid}  shm ${s.shmDir ?? "(off)"}  threshold ${mib(s.thresholdBytes)}`,
    `  in shared memory ${mib(s.shmBytes)} of budget ${mib(s.budgetBytes)}; spilled ${mib(s.spilledBytes)} (${s.spillDir})`,
  ];
  if (s.segments.length === 0) lines.push("  no live segments");
  for (const seg of s.segments) {
    lines.push(`  ${seg.id.padEnd(16)} ${mib(seg.bytes).padStart(11)} ${String(seg.rows).padStart(10)} rows  ${seg.location.padEnd(5)} by ${seg.producer}  held by ${seg.holders.join(", ") || "-"}`);
    lines.push(`    ${seg.path}`);
  }
  return lines.join("\n") + "\n";
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}
