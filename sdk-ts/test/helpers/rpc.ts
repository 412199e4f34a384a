// Promise wrappers around the generated grpc-js clients, plus Arrow helpers,
// so end-to-end tests read like the protocol.
import { Metadata, type ServiceError } from "@grpc/grpc-js";
import * as arrow from "apache-arrow";
import { type RunCommandResponse } from "../../src/gen/heddle/plugin/v1/command.js";
import { ErrorCode, type Error as ProtoError } from "../../src/gen/heddle/plugin/v1/errors.js";
import type { InvokeHeader, InvokeResponse, InvokeStreamResponse } from "../../src/gen/heddle/plugin/v1/invoke.js";
import type { PluginProcess } from "./plugin-process.js";

let callCounter = 0;
/** A fresh call id. */
export function nextCallId(): string {
  return `call-${process.pid}-${++callCounter}`;
}

/** The stable name of a proto error code (`ERROR_CODE_INVALID_CONFIG` → `INVALID_CONFIG`). */
export function codeName(error: ProtoError | undefined): string | undefined {
  return error ? ErrorCode[error.code]?.replace(/^ERROR_CODE_/, "") : undefined;
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline?: Date },
  callback: (err: ServiceError | null, response: Res) => void,
) => unknown;

/** Calls a unary method; rejects with the gRPC ServiceError. */
export function unary<Req, Res>(method: UnaryMethod<Req, Res>, thisArg: object, request: Req, deadlineMs?: number): Promise<Res> {
  return new Promise((resolve, reject) => {
    const options = deadlineMs === undefined ? {} : { deadline: new Date(Date.now() + deadlineMs) };
    method.call(thisArg, request, new Metadata(), options, (err, response) => (err ? reject(err) : resolve(response)));
  });
}

/** Options of a test Invoke. */
export interface InvokeOptions {
  config?: Record<string, unknown> | string;
  resources?: Record<string, string>;
  input?: arrow.Table | Uint8Array;
  callId?: string;
  /** Copied into header.timeout_ms (the SDK's own deadline). */
  timeoutMs?: number;
  /** gRPC deadline of the call. */
  grpcDeadlineMs?: number;
  /** Fused stages run after the step in the same call (header.then, protocol §5.4). */
  then?: StageOptions[];
  /** Copied into header.shm_output_threshold (0 = never by handle). */
  shmOutputThreshold?: number;
}

/** One fused stage of a test Invoke. */
export interface StageOptions {
  step: string;
  config?: Record<string, unknown> | string;
  resources?: Record<string, string>;
}

function configText(config: Record<string, unknown> | string | undefined): string {
  return typeof config === "string" ? config : JSON.stringify(config ?? {});
}

/** Builds an InvokeHeader. `inputKind` chooses how the input travels. */
export function header(step: string, options: InvokeOptions, inputKind: "inline" | "streamed"): InvokeHeader {
  const config = options.config;
  const ipc = options.input instanceof arrow.Table ? arrow.tableToIPC(options.input, "stream") : options.input;
  return {
    callId: options.callId ?? nextCallId(),
    step,
    configJson: configText(config),
    resources: options.resources ?? {},
    input:
      ipc === undefined
        ? undefined
        : inputKind === "inline"
          ? { kind: { $case: "inline", inline: { ipc: Buffer.from(ipc), numRows: 0 } } }
          : { kind: { $case: "streamed", streamed: { totalBytes: ipc.byteLength } } },
    timeoutMs: options.timeoutMs ?? 0,
    shmOutputThreshold: options.shmOutputThreshold ?? 0,
    then: (options.then ?? []).map((stage) => ({ step: stage.step, configJson: configText(stage.config), resources: stage.resources ?? {} })),
  };
}

/** Unary Invoke. */
export function invoke(proc: PluginProcess, step: string, options: InvokeOptions = {}): Promise<InvokeResponse> {
  return unary(proc.plugin.invoke as never, proc.plugin, { header: header(step, options, "inline") }, options.grpcDeadlineMs);
}

/** The decoded inline output of a unary response (throws if it has none). */
export function inlineOutput(response: InvokeResponse): arrow.Table {
  const kind = response.output?.kind;
  if (kind?.$case !== "inline") throw new Error(`expected an inline output, got ${JSON.stringify(response.error ?? kind)}`);
  return arrow.tableFromIPC(kind.inline.ipc);
}

/** Result of an InvokeStream: the output chunks and the final result. */
export interface StreamOutcome {
  chunks: Buffer[];
  result: InvokeResponse;
  /** The output decoded from the chunks, when there were chunks. */
  output?: arrow.Table;
}

/** InvokeStream: header, input in chunks of `chunkBytes`, half-close; collects the answer. */
export function invokeStream(proc: PluginProcess, step: string, options: InvokeOptions & { chunkBytes?: number } = {}): Promise<StreamOutcome> {
  return new Promise((resolve, reject) => {
    const callOptions = options.grpcDeadlineMs === undefined ? {} : { deadline: new Date(Date.now() + options.grpcDeadlineMs) };
    const call = proc.plugin.invokeStream(new Metadata(), callOptions);
    const chunks: Buffer[] = [];
    let result: InvokeResponse | undefined;
    call.on("data", (message: InvokeStreamResponse) => {
      if (message.msg?.$case === "chunk") chunks.push(message.msg.chunk.data);
      else if (message.msg?.$case === "result") result = message.msg.result;
    });
    call.on("error", reject);
    call.on("end", () => {
      if (!result) return reject(new Error("InvokeStream ended without a result"));
      const output = chunks.length > 0 ? arrow.tableFromIPC(Buffer.concat(chunks)) : undefined;
      resolve({ chunks, result, output });
    });
    call.write({ msg: { $case: "header", header: header(step, options, "streamed") } });
    const ipc = options.input instanceof arrow.Table ? arrow.tableToIPC(options.input, "stream") : options.input;
    const size = options.chunkBytes ?? 1024 * 1024;
    if (ipc) for (let at = 0; at < ipc.byteLength; at += size) call.write({ msg: { $case: "chunk", chunk: { data: Buffer.from(ipc.subarray(at, at + size)) } } });
    call.end();
  });
}

/** Runs a command and collects every event. */
export function runCommand(
  proc: PluginProcess,
  command: string,
  context: Record<string, unknown> = {},
  extra: { callId?: string; clusterJson?: string; resources?: Record<string, string> } = {},
): Promise<RunCommandResponse[]> {
  return new Promise((resolve, reject) => {
    const events: RunCommandResponse[] = [];
    const call = proc.plugin.runCommand({
      callId: extra.callId ?? nextCallId(),
      command,
      contextJson: JSON.stringify(context),
      clusterJson: extra.clusterJson ?? "",
      jobId: "job-1",
      resources: extra.resources ?? {},
    });
    call.on("data", (event: RunCommandResponse) => events.push(event));
    call.on("error", reject);
    call.on("end", () => resolve(events));
  });
}

/** Opens a resource; returns the instance id (throws with the error when it failed). */
export async function openResource(proc: PluginProcess, resource: string, config: Record<string, unknown> = {}): Promise<string> {
  const response = await unary(proc.plugin.openResource as never, proc.plugin, { resource, configJson: JSON.stringify(config) });
  const { instanceId, error } = response as { instanceId: string; error?: ProtoError };
  if (error) throw new Error(`open ${resource} failed: ${codeName(error)} ${error.message}`);
  return instanceId;
}

/** Polls Cancel until the call is found running (then it is cancelled); returns how many polls it took. */
export async function cancelWhenRunning(proc: PluginProcess, callId: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const { found } = await unary<{ callId: string; reason: string }, { found: boolean }>(proc.controller.cancel as never, proc.controller, { callId, reason: "test" });
    if (found) return attempt;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Plain rows of a table, with bigints as numbers for easy comparison. */
export function rowsOf(table: arrow.Table): Array<Record<string, unknown>> {
  return table.toArray().map((row) => {
    const plain: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row.toJSON())) plain[key] = typeof value === "bigint" ? Number(value) : value;
    return plain;
  });
}

/** The type of each column, as a readable map. */
export function typesOf(table: arrow.Table): Record<string, string> {
  return Object.fromEntries(table.schema.fields.map((field) => [field.name, String(field.type)]));
}
