// `heddle-host new --lang ts|python|go|rust <dir>`: scaffold a working plugin.
import type { Command } from "commander";
import { writeScaffold } from "../../scaffold/write-scaffold.js";

/** Registers `new`. */
export function registerNewCommand(program: Command): void {
  program
    .command("new")
    .description("create a new plugin folder (heddle-plugin.json, plugin code, a test, README)")
    .requiredOption("--lang <lang>", "ts, python, go or rust")
    .option("--name <name>", "plugin name (default: the folder name)")
    .argument("<dir>", "folder to create")
    .action(async (dir: string, opts: { lang: string; name?: string }) => {
      const files = await writeScaffold(dir, opts.lang, opts.name);
      process.stdout.write(`created ${dir}: ${files.join(", ")}\nnext: heddle-host describe ${dir}\n`);
    });
}
