// ControllerService.ReleaseSegments (protocol §8.4): tells a producer that the
// host freed its segments. Best effort: a plugin that died or predates the RPC
// (UNIMPLEMENTED) loses nothing, so failures are only logged.
import type { Logger } from "../logger.js";
import { unary, type PluginClients } from "./clients.js";

/** Sends ReleaseSegments without waiting; never throws. */
export function releaseSegmentsOnProcess(clients: PluginClients, segmentIds: string[], log: Logger): void {
  unary(clients.controller.releaseSegments, clients.controller, { segmentIds }, 2_000).catch((err: Error) => {
    log.debug(`ReleaseSegments(${segmentIds.join(", ")}) failed: ${err.message}`);
  });
}
