// Parses and checks the flags of `heddle-host call` before any plugin starts,
// so a typo fails fast with USAGE naming the flag.
import { CliError } from "../errors.js";
import type { OutputFormat } from "../arrow/output-formats.js";
import { parseByteSize } from "./byte-size.js";

/** The raw commander options of `call`. */
export interface RawCallOptions {
  config?: string;
  resource?: string[];
  input?: string;
  output: string;
  format: string;
  timeout?: string;
  shmThreshold?: string;
  shmBudget?: string;
}

/** Checked options of `call`. */
export interface CallArgs {
  config: Record<string, unknown>;
  /** Binding → resource config. */
  resources: Map<string, Record<string, unknown>>;
  input?: string;
  output: string;
  format: OutputFormat;
  timeoutMs?: number;
  /** --shm-threshold in bytes. */
  shmThreshold?: number;
  /** --shm-budget in bytes. */
  shmBudget?: number;
}

const FORMATS: OutputFormat[] = ["json", "csv", "arrow"];

/** Validates the flags. Fails with USAGE naming the bad flag. */
export function parseCallArgs(raw: RawCallOptions): CallArgs {
  const config = raw.config === undefined ? {} : parseJsonObject(raw.config, "--config", "--config '{\"name\":\"value\"}'");
  const resources = new Map<string, Record<string, unknown>>();
  for (const spec of raw.resource ?? []) {
    const eq = spec.indexOf("=");
    if (eq <= 0) {
      throw usage(`--resource ${JSON.stringify(spec)} must look like NAME=JSON`, "e.g. --resource counter='{\"start\":5}'");
    }
    const name = spec.slice(0, eq);
    if (resources.has(name)) throw usage(`--resource ${name} is given twice`, "pass each binding once");
    resources.set(name, parseJsonObject(spec.slice(eq + 1), `--resource ${name}`, `--resource ${name}='{}'`));
  }
  if (!FORMATS.includes(raw.format as OutputFormat)) {
    throw usage(`--format must be one of ${FORMATS.join(", ")}, got ${JSON.stringify(raw.format)}`, "use --format json, csv or arrow");
  }
  let timeoutMs: number | undefined;
  if (raw.timeout !== undefined) {
    timeoutMs = Number(raw.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw usage(`--timeout must be a positive number of milliseconds, got ${JSON.stringify(raw.timeout)}`, "e.g. --timeout 5000");
  }
  const shmThreshold = raw.shmThreshold === undefined ? undefined : parseByteSize(raw.shmThreshold, "--shm-threshold");
  const shmBudget = raw.shmBudget === undefined ? undefined : parseByteSize(raw.shmBudget, "--shm-budget", true);
  return { config, resources, input: raw.input, output: raw.output, format: raw.format as OutputFormat, timeoutMs, shmThreshold, shmBudget };
}

function parseJsonObject(text: string, flag: string, example: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw usage(`${flag} is not valid JSON: ${(err as Error).message}`, `quote the JSON for your shell, e.g. ${example}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw usage(`${flag} must be a JSON object, got ${JSON.stringify(value)}`, `e.g. ${example}`);
  }
  return value as Record<string, unknown>;
}

function usage(message: string, hint: string): CliError {
  return new CliError("USAGE", message, { component: "heddle-host call", hint });
}
