// Runs every case in cases/ against every SDK's conformance plugin in plugins/.
// A new SDK joins by adding plugins/<lang>/ — nothing here changes.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { Int64, Table, Utf8, makeVector, vectorFromArray } from "apache-arrow";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Plugin, PluginHost, TableRef } from "@heddle/host";
import { buildTable, rowsOf, schemaOf, type TableSpec } from "./arrow-cases.js";

const here = dirname(fileURLToPath(import.meta.url));
const pluginsDir = join(here, "plugins");
const langs = readdirSync(pluginsDir).filter((d) => existsSync(join(pluginsDir, d, "heddle-plugin.json"))).sort();

interface Case {
  description: string;
  step?: string; handler?: string; command?: string;
  config?: Record<string, unknown>;
  context?: Record<string, unknown>;
  resources?: Record<string, { kind: string; config: Record<string, unknown> }>;
  input?: TableSpec;
  calls?: number;
  then?: { step: string; config?: Record<string, unknown> }[];
  timeoutMs?: number;
  cancelAfterMs?: number;
  /** A generated input instead of `input`: `id` int64 0..n-1 and `label` utf8 "row-<id>". */
  inputRows?: number;
  /**
   * Shared-memory case (protocol §8), run only against plugins that negotiated `shm`:
   * input as a host segment (`ref`) or a Table; output as a TableRef (`ref`) or a Table;
   * `budget`: a host with that shm budget, where a second output spills the first;
   * `killWhileHolding`: the plugin is killed while a `sleep` call holds the input segment.
   */
  shm?: { input?: "ref" | "table"; output?: "ref" | "table"; budget?: number; killWhileHolding?: boolean };
  expect: {
    error?: string; field?: string; messageContains?: string; stack?: boolean;
    schema?: Record<string, string>; rows?: Record<string, unknown>[];
    numRows?: number; rowCount?: number; lastRow?: Record<string, unknown>;
    stdout?: string[]; stderr?: string[];
    log?: { level: string; message: string; field?: [string, unknown] };
  };
}

const allCases = readdirSync(join(here, "cases"))
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => ({ name: f.replace(/\.json$/, ""), spec: JSON.parse(readFileSync(join(here, "cases", f), "utf8")) as Case }));
const cases = allCases.filter((c) => !c.spec.shm);
const shmCases = allCases.filter((c) => c.spec.shm);

/** The `inputRows` table of a case. */
function generatedTable(rows: number): Table {
  const ids = new BigInt64Array(rows);
  const labels: string[] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    ids[i] = BigInt(i);
    labels[i] = `row-${i}`;
  }
  return new Table({ id: makeVector(ids), label: vectorFromArray(labels, new Utf8()) });
}

/** Checks `numRows`/`lastRow`/`schema` of a case against a table. */
function checkTable(table: Table, e: Case["expect"]): void {
  if (e.schema) expect(schemaOf(table)).toEqual(e.schema);
  if (e.numRows !== undefined) {
    expect(table.numRows).toBe(e.numRows);
    expect(rowsOf(table.slice(table.numRows - 1))[0]).toEqual(e.lastRow);
  }
}

/** Runs one shm case: see Case.shm. Leaves no segment behind (checked). */
async function runShm(host: PluginHost, plugin: Plugin, c: Case): Promise<void> {
  const shm = c.shm!;
  const table = generatedTable(c.inputRows ?? 0);
  const step = c.step!;
  if (shm.killWhileHolding) {
    const ref = host.refFromTable(table);
    const oldPid = plugin.handshake.pid;
    const pending = plugin.invoke("sleep", { config: { ms: 20_000 }, input: ref });
    pending.catch(() => undefined);
    await expect.poll(() => [...host.data.registry.get(ref.id)!.holders.keys()].some((h) => h.startsWith("call:"))).toBe(true);
    process.kill(oldPid, "SIGKILL");
    await expect(pending).rejects.toMatchObject({ code: "PLUGIN_CRASHED" });
    expect([...host.data.registry.get(ref.id)!.holders.keys()]).toEqual([expect.stringMatching(/^ref:/)]);
    await expect.poll(() => plugin.pids.length === 1 && plugin.handshake.pid !== oldPid, { timeout: 30_000 }).toBe(true);
    checkTable((await plugin.invoke(step, { config: c.config ?? {}, input: ref }))!, c.expect);
    ref.release();
  } else if (shm.budget) {
    const first = await plugin.invoke(step, { config: c.config ?? {}, input: table, output: "ref" });
    const second = await plugin.invoke(step, { config: c.config ?? {}, input: table, output: "ref" });
    expect(host.data.registry.get(first!.id)!.location).toBe("spill");
    // A spilled segment is still forwarded by handle (its ref carries the spill path).
    const again = await plugin.invoke(step, { config: c.config ?? {}, input: first!, output: "ref" });
    checkTable(again!.toTable(), c.expect);
    for (const r of [first, second, again]) r!.release();
  } else {
    const input = shm.input === "ref" ? host.refFromTable(table) : c.inputRows ? table : undefined;
    const out = await plugin.invoke(step, { config: c.config ?? {}, input, output: shm.output ?? "table" });
    if (shm.output === "ref") {
      expect(out).toBeInstanceOf(TableRef);
      const ref = out as TableRef;
      expect(ref.id.startsWith(`${plugin.handshake.pid}-`), `${ref.id} was produced by the plugin`).toBe(true);
      checkTable(ref.toTable(), c.expect);
      ref.release();
    } else {
      checkTable(out as Table, c.expect);
    }
    if (input instanceof TableRef) input.release();
  }
  expect(host.data.registry.size).toBe(0);
  expect(readdirSync(host.data.shmDir!)).toEqual([]);
}

interface LogRecord { plugin: string; level: string; message: string; fields?: Record<string, unknown> }

async function run(plugin: Plugin, c: Case, logs: LogRecord[]) {
  const resources: Record<string, string> = {};
  for (const [binding, r] of Object.entries(c.resources ?? {})) {
    resources[binding] = (await plugin.openResource(r.kind, r.config)).instanceId;
  }
  try {
    if (c.command) {
      const stdout: string[] = [], stderr: string[] = [];
      const res = await plugin.runCommand(c.command, {
        context: c.context ?? {}, onStdout: (l: string) => stdout.push(l), onStderr: (l: string) => stderr.push(l),
      });
      return { table: res.result, stdout, stderr };
    }
    const input = c.input ? buildTable(c.input) : undefined;
    let table = null;
    for (let i = 0; i < (c.calls ?? 1); i++) {
      const controller = new AbortController();
      const timer = c.cancelAfterMs ? setTimeout(() => controller.abort(), c.cancelAfterMs) : undefined;
      try {
        table = await plugin.invoke((c.step ?? c.handler)!, {
          config: c.config ?? {}, resources, input, timeoutMs: c.timeoutMs, signal: controller.signal, then: c.then,
        });
      } finally {
        clearTimeout(timer);
      }
    }
    return { table, stdout: [], stderr: [] };
  } finally {
    for (const id of Object.values(resources)) await plugin.closeResource(id).catch(() => {});
  }
}

// Each SDK twice: Invoke over the frame lane (protocol §5.5) and over gRPC (§5.1–5.2).
const runs = langs.flatMap((lang) => [[lang, "frames"], [lang, "grpc"]] as const);

describe.each(runs)("conformance: %s SDK over %s", (lang, transport) => {
  const logs: LogRecord[] = [];
  const frames = transport === "frames";
  const host = new PluginHost({ logLevel: "info", logSink: (rec: LogRecord) => logs.push(rec), frames });
  let plugin: Plugin;

  beforeAll(async () => {
    const loaded = await host.load(join(pluginsDir, lang));
    if (!(loaded instanceof Plugin)) throw new Error(`the ${lang} conformance plugin must run as a process`);
    plugin = loaded;
  }, 300_000);
  afterAll(async () => {
    await host.close();
  });

  it("describes the conformance namespace", () => {
    expect(plugin.manifest.namespace).toBe("conformance");
    const steps = plugin.manifest.steps.map((s: { name: string }) => s.name).sort();
    expect(steps).toEqual(["add_column", "bad_output", "count", "echo", "fail", "fail_typed", "generate", "log", "scale", "sleep", "strict"]);
    expect(plugin.manifest.resources.map((r: { name: string }) => r.name).sort()).toEqual(["counter", "failing"]);
    expect(plugin.manifest.commands.map((r: { name: string }) => r.name)).toEqual(["ping"]);
    expect(plugin.manifest.handlers.map((r: { name: string }) => r.name)).toEqual(["record_errors"]);
    expect(plugin.handshake.protocolVersion).toBe(1);
    expect(plugin.handshake.sdkLanguage).toBeTruthy();
    expect(plugin.handshake.capabilities.includes("frames")).toBe(frames);
  });

  it("passes an unchanged input segment through: echo answers with the very segment it was lent (§8.2)", async (ctx) => {
    if (!plugin.handshake.capabilities.includes("shm")) ctx.skip();
    const ref = host.refFromTable(generatedTable(200_000));
    const out = await plugin.invoke("echo", { input: ref, output: "ref" });
    try {
      expect(out!.id).toBe(ref.id);
      expect(out!.ref).toEqual(ref.ref);
      ref.release();
      expect(out!.toTable().numRows).toBe(200_000); // still held by `out`
      const changed = await plugin.invoke("add_column", { config: { name: "x", value: "y" }, input: out!, output: "ref" });
      expect(changed!.id).not.toBe(ref.id);
      changed!.release();
    } finally {
      out!.release();
    }
    expect(host.data.registry.get(ref.id)).toBeUndefined();
  }, 60_000);

  it.for(shmCases)("$name", async ({ spec: c }, ctx) => {
    // An SDK that does not advertise shm (yet) has nothing to check here: reported as skipped.
    if (!plugin.handshake.capabilities.includes("shm")) ctx.skip();
    if (c.shm!.budget) {
      const own = new PluginHost({ shmBudget: c.shm!.budget, logLevel: "warn", frames });
      try {
        await runShm(own, await own.load(join(pluginsDir, lang)), c);
      } finally {
        await own.close();
      }
      return;
    }
    await runShm(host, plugin, c);
  }, 120_000);

  it.each(cases)("$name", async ({ spec: c }) => {
    const e = c.expect;
    if (e.error) {
      const err = await run(plugin, c, logs).then(
        () => { throw new Error(`expected error ${e.error}, the call succeeded`); },
        (x) => x,
      );
      expect(err.code, String(err.message)).toBe(e.error);
      if (e.field) expect(err.field).toBe(e.field);
      if (e.messageContains) expect(String(err.message)).toContain(e.messageContains);
      if (e.stack) expect(String(err.pluginStack ?? "").length).toBeGreaterThan(0);
      // The plugin stays usable after any error.
      const again = await plugin.invoke("generate", { config: { rows: 1 } });
      expect(again?.numRows).toBe(1);
      return;
    }
    const { table, stdout, stderr } = await run(plugin, c, logs);
    expect(table).toBeTruthy();
    if (e.schema) expect(schemaOf(table!)).toEqual(e.schema);
    if (e.rows) expect(rowsOf(table!)).toEqual(e.rows);
    if (e.rowCount !== undefined) expect(table!.numRows).toBe(e.rowCount);
    if (e.numRows !== undefined) {
      expect(table!.numRows).toBe(e.numRows);
      const rows = rowsOf(table!.slice(table!.numRows - 1));
      expect(rows[0]).toEqual(e.lastRow);
    }
    if (e.stdout) expect(stdout).toEqual(e.stdout);
    if (e.stderr) expect(stderr).toEqual(e.stderr);
    if (e.log) {
      const want = e.log;
      await expect.poll(() => logs.find((l) => l.message === want.message)).toBeTruthy();
      const rec = logs.find((l) => l.message === want.message)!;
      expect(rec.level).toBe(want.level);
      expect(rec.plugin).toBeTruthy();
      if (want.field) expect(rec.fields?.[want.field[0]]).toEqual(want.field[1]);
    }
  }, 120_000);
});
