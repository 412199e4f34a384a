import { once } from "node:events";
import { Parser, type ReadEntry } from "tar";

/**
 * Feeds an uncompressed tar byte stream to tar's strict Parser and calls
 * `onEntry` for every entry (which must consume or resume the entry).
 * `onEntry` may throw to stop parsing; that error is what this rejects with.
 * Rejects with the parser's error for a malformed archive.
 * Written by hand instead of `stream.pipeline` because tar's Parser is an
 * event emitter with write/end, not a Node Writable.
 */
export async function parseTar(source: AsyncIterable<Buffer>, onEntry: (entry: ReadEntry) => void): Promise<void> {
  const parser = new Parser({ strict: true });
  let failure: unknown;
  const finished = new Promise<void>((resolve, reject) => {
    parser.on("end", () => resolve());
    parser.on("error", (err: unknown) => reject(failure ?? err));
    parser.on("abort", (err: unknown) => reject(failure ?? err));
  });
  finished.catch(() => undefined); // observed below; avoid an unhandled rejection meanwhile
  parser.on("entry", (entry: ReadEntry) => {
    try {
      onEntry(entry);
    } catch (err) {
      failure ??= err;
      entry.resume();
      parser.abort(err as Error);
    }
  });
  let stopped = false;
  finished.then(
    () => undefined,
    () => {
      stopped = true;
    },
  );
  for await (const chunk of source) {
    if (stopped || failure) break;
    if (!parser.write(chunk)) await Promise.race([once(parser, "drain"), finished.catch(() => undefined)]);
  }
  if (!stopped && !failure) parser.end();
  await finished;
}
