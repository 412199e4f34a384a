// Reads a CLI --input into an Arrow table: JSON (array of objects, or one
// object per line), CSV with a header, or Arrow IPC (file or stream format).
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import type { Table } from "apache-arrow";
import { CliError } from "../errors.js";
import { tableFromRows, type Cell } from "./infer-columns.js";
import { decodeTableStrict } from "./ipc.js";

/** Input formats the CLI reads. */
export type InputFormat = "json" | "csv" | "arrow";

const EXTENSIONS: Record<string, InputFormat> = {
  ".json": "json", ".jsonl": "json", ".ndjson": "json",
  ".csv": "csv",
  ".arrow": "arrow", ".arrows": "arrow", ".ipc": "arrow", ".feather": "arrow",
};

/** Picks the format from the file extension, else from the content. */
export function detectInputFormat(bytes: Uint8Array, fileName?: string): InputFormat {
  const byExt = fileName ? EXTENSIONS[extname(fileName).toLowerCase()] : undefined;
  if (byExt) return byExt;
  const head = Buffer.from(bytes.subarray(0, 8));
  if (head.subarray(0, 6).toString("latin1") === "ARROW1" || (head.length >= 4 && head.readUInt32LE(0) === 0xffffffff)) return "arrow";
  const firstChar = Buffer.from(bytes.subarray(0, 256)).toString("utf8").trimStart()[0];
  return firstChar === "[" || firstChar === "{" ? "json" : "csv";
}

/** Reads `source` (a path, or `-` for stdin). Fails with INPUT_READ_FAILED saying what was wrong. */
export async function readTableInput(source: string, format?: InputFormat): Promise<Table> {
  let bytes: Uint8Array;
  try {
    bytes = source === "-" ? await readStdin() : await readFile(source);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    throw new CliError("INPUT_READ_FAILED", missing ? `input file ${source} does not exist` : `cannot read input ${source}: ${(err as Error).message}`, {
      component: "--input", cause: err, hint: "pass an existing JSON, CSV or Arrow file to --input (or - for stdin)",
    });
  }
  const name = source === "-" ? "stdin" : source;
  if (bytes.length === 0) {
    throw new CliError("INPUT_READ_FAILED", `${name} is empty`, {
      component: "--input", hint: "give a JSON array of objects, a CSV with a header row, or an Arrow IPC file",
    });
  }
  return parseTableInput(bytes, format ?? detectInputFormat(bytes, source === "-" ? undefined : source), name);
}

/** Parses input bytes of a known format. Fails with INPUT_READ_FAILED. */
export function parseTableInput(bytes: Uint8Array, format: InputFormat, name: string): Table {
  const fail = (what: string, cause?: unknown): never => {
    throw new CliError("INPUT_READ_FAILED", `${name}: ${what}`, {
      component: "--input", cause, hint: "JSON input is an array of objects; CSV needs a header row; Arrow is IPC file or stream format",
    });
  };
  if (format === "arrow") {
    try {
      return decodeTableStrict(bytes);
    } catch (err) {
      return fail(`not a valid Arrow IPC file or stream: ${(err as Error).message}`, err);
    }
  }
  const text = Buffer.from(bytes).toString("utf8");
  if (format === "csv") {
    let records: Array<Record<string, string>>;
    try {
      records = parseCsv(text, { columns: true, skip_empty_lines: true, bom: true }) as Array<Record<string, string>>;
    } catch (err) {
      return fail(`invalid CSV: ${(err as Error).message}`, err);
    }
    return tableFromRows(records, { fromText: true });
  }
  return tableFromRows(parseJsonRows(text, fail), { fromText: false });
}

function parseJsonRows(text: string, fail: (what: string, cause?: unknown) => never): Array<Record<string, Cell>> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    // Not one JSON document: maybe one object per line (NDJSON).
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    try {
      data = lines.map((l) => JSON.parse(l) as unknown);
    } catch {
      return fail(`invalid JSON: ${(err as Error).message}`, err);
    }
  }
  if (!Array.isArray(data)) return fail(`JSON input must be an array of objects, got ${data === null ? "null" : typeof data}`);
  data.forEach((row, i) => {
    if (typeof row !== "object" || row === null || Array.isArray(row)) fail(`JSON row ${i} must be an object, got ${JSON.stringify(row)}`);
  });
  return data as Array<Record<string, Cell>>;
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
