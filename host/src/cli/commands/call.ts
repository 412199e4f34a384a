// `heddle-host call <plugin-dir> <namespace.step>`: run one step from the shell.
import type { Command } from "commander";
import { closeSync, openSync, readSync } from "node:fs";
import type { Table } from "apache-arrow";
import { readTableInput } from "../../arrow/input-formats.js";
import { isIpcFile } from "../../data/call-data.js";
import type { TableRef } from "../../data/table-ref.js";
import { writeTableOutput } from "../../arrow/output-formats.js";
import { CliError } from "../../errors.js";
import { Plugin } from "../../plugin/plugin.js";
import { parseCallArgs, type RawCallOptions } from "../call-args.js";
import { withHost } from "../cli-host.js";
import { bindResources, findStep } from "../step-target.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Registers `call`. */
export function registerCallCommand(program: Command): void {
  program
    .command("call")
    .description("start a plugin, call one step and print its output table")
    .argument("<plugin-dir>", "plugin folder (or installed plugin name)")
    .argument("<step>", "the step to call, as namespace.step")
    .option("--config <json>", "step config as a JSON object", undefined)
    .option("--resource <name=json>", "open a resource for binding NAME with this JSON config (repeatable)", collect)
    .option("--input <file>", "input table: JSON (array of objects), CSV or Arrow IPC file/stream; - for stdin")
    .option("--output <file>", "where to write the output; - for stdout", "-")
    .option("--format <format>", "output format: json, csv or arrow", "json")
    .option("--timeout <ms>", "deadline for the call in milliseconds")
    .option("--shm-threshold <size>", "tables of at least this many bytes go by shared-memory handle to plugins with shm (default 1MiB)")
    .option("--shm-budget <size>", "shared memory for segments before the oldest spill to disk, e.g. 8GiB or 50% (default 50%)")
    .addHelpText("after", `
Examples:
  heddle-host call ./my-plugin demo.tag --config '{"column":"tag","value":"x"}' --input rows.json
  heddle-host call ./counter demo.count --resource counter='{"start":5}' --input data.csv --format csv
  heddle-host call ./my-plugin demo.tag --input big.arrow   # an Arrow IPC file is mapped by the plugin, not read by the host`)
    .action(async (pluginRef: string, qualified: string, raw: RawCallOptions, cmd: Command) => {
      const args = parseCallArgs(raw);
      // An Arrow IPC *file* is handed over by mapping the file itself; other inputs are read first, so a bad file fails fast.
      const byHandle = args.input !== undefined && startsLikeIpcFile(args.input);
      let input: Table | TableRef | undefined = args.input === undefined || byHandle ? undefined : await readTableInput(args.input);
      await withHost(cmd, async (host) => {
        if (byHandle) input = host.refFromArrowFile(args.input!);
        const plugin = await host.load(pluginRef, { pool: 1 }); // one call needs one process (a native plugin has none)
        const target = findStep(plugin.manifest, qualified, plugin.name);
        if (!target.takesInput && input) {
          throw new CliError("USAGE", `${qualified} takes no input table`, { plugin: plugin.name, component: qualified, hint: "drop --input" });
        }
        const bindings: Record<string, string> = {};
        for (const r of bindResources(target, args.resources, plugin.name, qualified)) {
          bindings[r.binding] = (await plugin.openResource(r.kind, r.config)).instanceId;
        }
        const output = await plugin.invoke(target.name, {
          config: args.config,
          resources: bindings,
          input,
          timeoutMs: args.timeoutMs,
          // In-process plugins have no transport to stream over.
          stream: plugin instanceof Plugin && plugin.handshake.capabilities.includes("streaming"),
        });
        await writeTableOutput(output, args.format, args.output);
      }, { shmThreshold: args.shmThreshold, shmBudget: args.shmBudget });
    });
}

/** True when `path` is a readable file starting with the Arrow IPC file magic (stdin and other formats: false). */
function startsLikeIpcFile(path: string): boolean {
  if (path === "-") return false;
  try {
    const fd = openSync(path, "r");
    try {
      const head = Buffer.alloc(6);
      return readSync(fd, head, 0, 6, 0) === 6 && isIpcFile(head);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false; // readTableInput reports the problem with INPUT_READ_FAILED
  }
}
