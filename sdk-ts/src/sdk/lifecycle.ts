// Graceful stop of a serving plugin (docs/protocol.md §11): mark NOT_SERVING,
// refuse new calls, let in-flight calls finish within the grace, cancel what
// is left, close every open resource, stop the frame lane and the gRPC
// server and exit 0. The
// same path serves the Shutdown RPC, stdin end-of-file and SIGTERM/SIGINT.
import { rmSync } from "node:fs";
import type { Server } from "@grpc/grpc-js";
import type { HealthImplementation } from "grpc-health-check";
import { DEFAULT_SHUTDOWN_GRACE_MS } from "./options.js";
import type { FrameServer } from "./frame-server.js";
import type { PluginRuntime } from "./runtime.js";

/** Health service names the protocol defines (§10). */
export const HEALTH_SERVICES = ["", "plugin"] as const;

/** Longest wait for the gRPC server to close its connections after calls are done. */
const SERVER_CLOSE_TIMEOUT_MS = 1000;

/** Owns the stop sequence of one serving process. */
export class Lifecycle {
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly runtime: PluginRuntime,
    private readonly server: Server,
    private readonly health: HealthImplementation,
    private readonly socketPath: string,
    private readonly frames: FrameServer,
  ) {}

  /** True once a stop began. */
  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /**
   * Stops gracefully and exits the process with status 0. `graceMs` 0 means
   * the default (2 s). Idempotent: later calls return the first stop.
   */
  stop(graceMs: number, reason: string): Promise<void> {
    this.stopping ??= this.runStop(graceMs > 0 ? graceMs : DEFAULT_SHUTDOWN_GRACE_MS, reason).then(
      () => process.exit(0),
      (err: unknown) => {
        this.runtime.logger.error("shutdown failed", { error: err });
        process.exit(1);
      },
    );
    return this.stopping;
  }

  /** Installs the stdin end-of-file watch and the SIGTERM/SIGINT handlers. */
  watchProcess(): void {
    // The host keeps our stdin open; end-of-file means it is gone (§2.2 step 5).
    process.stdin.on("end", () => void this.stop(DEFAULT_SHUTDOWN_GRACE_MS, "stdin closed"));
    process.stdin.on("error", () => void this.stop(DEFAULT_SHUTDOWN_GRACE_MS, "stdin failed"));
    process.stdin.resume();
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      process.on(signal, () => void this.stop(DEFAULT_SHUTDOWN_GRACE_MS, signal));
    }
  }

  private async runStop(graceMs: number, reason: string): Promise<void> {
    const { runtime } = this;
    runtime.logger.debug("shutting down", { reason, grace_ms: graceMs, calls_in_flight: runtime.calls.size });
    for (const service of HEALTH_SERVICES) this.health.setStatus(service, "NOT_SERVING");
    runtime.stopAccepting();
    const idle = await runtime.calls.waitIdle(graceMs);
    if (!idle) {
      runtime.logger.warn("calls still running after the shutdown grace: cancelling them", { calls: runtime.calls.size, grace_ms: graceMs });
      runtime.calls.abortAll("shutdown");
      // Give the cancelled calls a moment to send their CANCELLED answers.
      await runtime.calls.waitIdle(100);
    }
    await runtime.instances.closeAll();
    await this.frames.close();
    await this.closeServer();
    rmSync(this.socketPath, { force: true });
    runtime.logger.debug("stopped", { reason });
  }

  private closeServer(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, SERVER_CLOSE_TIMEOUT_MS);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
