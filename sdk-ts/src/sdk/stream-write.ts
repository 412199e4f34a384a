// Writing to a gRPC server stream with backpressure: large outputs go out in
// 2 MiB chunks and must not pile up in memory when the host reads slowly.

/** The part of a grpc-js server stream this helper needs. */
interface WritableCall<T> {
  write(message: T): boolean;
  once(event: "drain", listener: () => void): unknown;
  removeListener(event: "drain", listener: () => void): unknown;
  readonly cancelled: boolean;
}

/**
 * Writes `message`; when the stream's buffer is full, waits for `drain` — or
 * for `signal` to abort (the client went away), so a dead stream never hangs
 * the writer. Writes nothing once the call is cancelled.
 */
export async function writeWithBackpressure<T>(call: WritableCall<T>, message: T, signal: AbortSignal): Promise<void> {
  if (call.cancelled) return;
  if (call.write(message)) return;
  if (signal.aborted) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      call.removeListener("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    call.once("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}
