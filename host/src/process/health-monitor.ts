// Periodic grpc.health.v1 checks (protocol §10): `failures` misses in a row
// count as a crash, reported through `onUnhealthy`.
import type { HealthClient } from "../rpc/clients.js";

/** Settings of one monitor. */
export interface HealthMonitorOptions {
  intervalMs: number;
  timeoutMs: number;
  failures: number;
  onUnhealthy(reason: string): void;
}

/** Checks service `plugin` every `intervalMs`; stop it with `stop()`. An interval of 0 disables it. */
export class HealthMonitor {
  private timer?: NodeJS.Timeout;
  private misses = 0;
  private checking = false;

  constructor(private readonly client: () => Promise<HealthClient>, private readonly opts: HealthMonitorOptions) {}

  /** Starts the periodic checks (the timer does not keep the host process alive). */
  start(): void {
    if (this.opts.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.check(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Stops checking. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    if (this.checking) return;
    this.checking = true;
    void this.client().then((client) => this.checkWith(client), () => { this.checking = false; });
  }

  private checkWith(client: HealthClient): void {
    if (!this.timer) {
      this.checking = false;
      return;
    }
    client.Check({ service: "plugin" }, { deadline: Date.now() + this.opts.timeoutMs }, (err, res) => {
      this.checking = false;
      if (!this.timer) return;
      const ok = !err && res?.status === "SERVING";
      this.misses = ok ? 0 : this.misses + 1;
      if (this.misses >= this.opts.failures) {
        this.stop();
        const why = err ? err.details || err.message : `status ${res?.status}`;
        this.opts.onUnhealthy(`it failed ${this.misses} health checks in a row (last: ${why})`);
      }
    });
  }
}
