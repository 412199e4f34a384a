// The `conformance` namespace (test/conformance/README.md) written with the
// TypeScript SDK. Every SDK's conformance plugin behaves identically; the
// suite in test/conformance runs the same cases against each.
import { HeddleError, Plugin, Table, z } from "@heddle/sdk";

const plugin = new Plugin({ namespace: "conformance", version: "1.0.0", description: "Conformance plugin (TypeScript SDK)" });

/** Running total shared by the calls bound to one counter instance. */
class Counter {
  constructor(public total: bigint) {}
}

const counter = plugin.resource(
  { name: "counter", description: "holds a running total starting at start", config: z.object({ start: z.int().default(0) }) },
  (config) => new Counter(BigInt(config.start)),
);

plugin.resource({ name: "failing", description: "its constructor always fails" }, () => {
  throw new Error("resource init failed on purpose");
});

plugin.step({ name: "echo", description: "returns the input unchanged" }, (_config, input) => input);

plugin.step(
  {
    name: "add_column",
    description: "adds a utf8 column holding one value on every row",
    config: z.object({ name: z.string(), value: z.string() }),
  },
  (config, input) => input.withColumn(config.name, new Array<string>(input.numRows).fill(config.value), "utf8"),
);

plugin.step(
  {
    name: "scale",
    description: "replaces a numeric column by float64 column * factor",
    config: z.object({ column: z.string(), factor: z.number() }),
  },
  (config, input) => {
    const column = input.column(config.column);
    if (!column) {
      throw new HeddleError("INVALID_INPUT", `column "${config.column}" is not in the input; it has ${input.columnNames.join(", ") || "no columns"}`);
    }
    const values = Array.from({ length: input.numRows }, (_, i) => {
      const value = column.get(i) as number | bigint | null;
      return value === null ? null : Number(value) * config.factor;
    });
    return input.withColumn(config.column, values, "float64");
  },
);

plugin.step(
  { name: "count", description: "adds the input's row count to the counter; outputs the new total", resources: { counter } },
  (_config, input, ctx) => {
    const bound = ctx.resources.counter as Counter;
    bound.total += BigInt(input.numRows);
    return Table.fromRows([{ total: bound.total }], { total: "int64" });
  },
);

plugin.step(
  {
    name: "generate",
    description: "outputs rows id 0..rows-1 and label row-<id>",
    config: z.object({ rows: z.int().min(0) }),
    takesInput: false,
    outputSchema: { id: "int64", label: "utf8" },
  },
  (config) => {
    const ids = new BigInt64Array(config.rows);
    const labels = new Array<string>(config.rows);
    for (let i = 0; i < config.rows; i++) {
      ids[i] = BigInt(i);
      labels[i] = `row-${i}`;
    }
    return Table.fromColumns({ id: ids, label: labels }, { label: "utf8" });
  },
);

plugin.step(
  { name: "fail", description: "raises a plain error", config: z.object({ message: z.string().default("failed on purpose") }) },
  (config) => {
    throw new Error(config.message);
  },
);

plugin.step({ name: "fail_typed", description: "raises the SDK's typed error INVALID_INPUT" }, () => {
  throw new HeddleError("INVALID_INPUT", "typed failure");
});

plugin.step(
  {
    name: "sleep",
    description: "waits up to ms, checking cancellation every few ms",
    config: z.object({ ms: z.int().min(0) }),
    outputSchema: { slept_ms: "int64" },
  },
  async (config, _input, ctx) => {
    const started = Date.now();
    while (Date.now() - started < config.ms && !ctx.cancelled) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(5, config.ms - (Date.now() - started))));
    }
    return Table.fromRows([{ slept_ms: Date.now() - started }], { slept_ms: "int64" });
  },
);

plugin.step({ name: "bad_output", description: "returns something that is not a table" }, () => "not a table" as never);

plugin.step(
  { name: "log", description: "logs message at info with step=log; returns the input", config: z.object({ message: z.string() }) },
  (config, input, ctx) => {
    ctx.logger.info(config.message, { step: "log" });
    return input;
  },
);

plugin.step(
  {
    name: "strict",
    description: "validates a strict config; outputs it as one row",
    config: z.object({ name: z.string(), count: z.int().min(1), mode: z.enum(["a", "b"]).default("a") }),
    takesInput: false,
    outputSchema: { name: "utf8", count: "int64", mode: "utf8" },
  },
  (config) => Table.fromRows([{ name: config.name, count: config.count, mode: config.mode }], { name: "utf8", count: "int64", mode: "utf8" }),
);

plugin.handler({ name: "record_errors", description: "returns the errors table unchanged" }, (_config, errors) => errors);

plugin.command(
  {
    name: "ping",
    description: "writes ping / ping-err and returns one row {message}",
    context: z.object({ message: z.string().default("pong") }),
    mode: "both",
  },
  (ctx) => {
    ctx.stdout("ping");
    ctx.stderr("ping-err");
    return Table.fromRows([{ message: ctx.context.message }], { message: "utf8" });
  },
);

plugin.serve();
