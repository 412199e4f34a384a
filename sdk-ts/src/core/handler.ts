// Error handlers: called by the host (with Invoke, like steps) with a table of
// errors that happened in a workflow, one row per error, columns code, message,
// component and stack (all utf8). They may forward, record or drop them.
import * as arrow from "apache-arrow";
import type { z } from "zod";
import type { StepOptions } from "./step.js";
import { Table } from "./table.js";

/** Registration options of an error handler (`plugin.handler(options, fn)`). */
export type HandlerOptions<C extends z.ZodType = z.ZodType> = Omit<StepOptions<C, undefined>, "takesInput" | "inputSchema" | "resource">;

/** Schema of the table a handler receives (docs/protocol.md §3). */
export const ERRORS_TABLE_SCHEMA = new arrow.Schema([
  new arrow.Field("code", new arrow.Utf8(), true),
  new arrow.Field("message", new arrow.Utf8(), true),
  new arrow.Field("component", new arrow.Utf8(), true),
  new arrow.Field("stack", new arrow.Utf8(), true),
]);

/** One error as a handler sees it. */
export interface ErrorRecord {
  code: string;
  message: string;
  component?: string;
  stack?: string;
}

/** Builds the errors table a handler receives (useful in tests and in hosts). */
export function errorsTable(errors: readonly ErrorRecord[]): Table {
  return Table.fromRows(
    errors.map((e) => ({ code: e.code, message: e.message, component: e.component ?? "", stack: e.stack ?? "" })),
    ERRORS_TABLE_SCHEMA,
  );
}
