// The serving state of one plugin process: its definitions and manifest, the
// open resource instances, the calls in flight and whether new calls are still
// accepted. The gRPC adapter (servicer.ts) and the call pipelines work on it.
import { HeddleError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { nativeAvailable } from "../core/shm.js";
import { SegmentWriter } from "../core/shm-write.js";
import type { HandshakeRequest, HandshakeResponse } from "../gen/heddle/plugin/v1/handshake.js";
import type { Manifest } from "../gen/heddle/plugin/v1/manifest.js";
import { SDK_CAPABILITIES, SDK_LANGUAGE, SDK_NAME, SDK_VERSION } from "../version.js";
import { type CallControl, CallRegistry } from "./calls.js";
import { ResourceInstances } from "./instances.js";
import { type PluginDefinitions, buildManifest } from "./manifest.js";

/** The outcome of plugin code raced against the call's cancellation. */
export type PluginCodeOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Serving state of a plugin process. */
export class PluginRuntime {
  readonly definitions: PluginDefinitions;
  readonly manifest: Manifest;
  readonly instances: ResourceInstances;
  readonly calls = new CallRegistry();
  readonly logger: Logger;
  /** The protocol version announced on the handshake line. */
  readonly protocolVersion: number;
  /**
   * Writes output segments into HEDDLE_SHM_DIR; undefined when that folder is
   * not usable or segments cannot be mapped here (then `shm` is not announced).
   */
  readonly segments: SegmentWriter | undefined;
  private accepting = true;

  /**
   * Builds the manifest once; throws PluginDefinitionError if a definition is
   * broken. `shmDir` is the usable HEDDLE_SHM_DIR, if any (segmentDirFromEnv).
   */
  constructor(definitions: PluginDefinitions, logger: Logger, protocolVersion: number, shmDir?: string) {
    this.definitions = definitions;
    this.logger = logger;
    this.protocolVersion = protocolVersion;
    this.manifest = buildManifest(definitions);
    this.instances = new ResourceInstances(logger);
    // Producing without being able to consume would break §8.3's "MUST accept shm input".
    this.segments = shmDir !== undefined && nativeAvailable() ? new SegmentWriter(shmDir) : undefined;
  }

  /** False once shutdown began: new calls are refused. */
  get isAccepting(): boolean {
    return this.accepting;
  }

  /** Refuse new calls from now on (shutdown). */
  stopAccepting(): void {
    this.accepting = false;
  }

  /**
   * Answers the Handshake RPC. Throws a PROTOCOL_MISMATCH HeddleError when the
   * host does not list the version this process announced on its handshake line.
   */
  handshake(request: HandshakeRequest): HandshakeResponse {
    if (!request.protocolVersions.includes(this.protocolVersion)) {
      throw new HeddleError(
        "PROTOCOL_MISMATCH",
        `PROTOCOL_MISMATCH: the host speaks protocol versions [${request.protocolVersions.join(", ")}] but this plugin (${SDK_NAME} ${SDK_VERSION}) announced version ${this.protocolVersion}: upgrade the host or the plugin's SDK`,
      );
    }
    return {
      protocolVersion: this.protocolVersion,
      sdkName: SDK_NAME,
      sdkLanguage: SDK_LANGUAGE,
      sdkVersion: SDK_VERSION,
      capabilities: SDK_CAPABILITIES.filter((flag) => request.capabilities.includes(flag) && (flag !== "shm" || this.segments !== undefined)),
      pid: process.pid,
    };
  }

  /**
   * Registers a call. Its deadline is the earlier of `timeoutMs` (from now, 0 =
   * none) and the gRPC deadline (epoch ms or Infinity).
   */
  beginCall(callId: string, component: string, timeoutMs: number, grpcDeadlineAt: number): CallControl {
    const fromTimeout = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
    const deadlineAt = Math.min(fromTimeout, grpcDeadlineAt);
    return this.calls.begin(callId, Number.isFinite(deadlineAt) ? deadlineAt : undefined, component);
  }

  /**
   * Runs plugin code for a call and races it against the call's cancellation:
   * once the call is aborted the outcome is the abort reason, whatever the code
   * returns later (protocol §5.3). The call stays registered until the code
   * itself settles.
   */
  async runPluginCode<T>(control: CallControl, work: () => T | Promise<T>): Promise<PluginCodeOutcome<T>> {
    let settled: Promise<T>;
    try {
      settled = Promise.resolve(work());
    } catch (err) {
      settled = Promise.reject(err);
    }
    const done = () => this.calls.end(control);
    settled.then(done, done);
    const outcome = await Promise.race<PluginCodeOutcome<T>>([
      settled.then(
        (value) => ({ ok: true, value }),
        (error: unknown) => ({ ok: false, error }),
      ),
      control.aborted.then((reason) => ({ ok: false, error: reason })),
    ]);
    if (control.signal.aborted) return { ok: false, error: control.signal.reason };
    return outcome;
  }
}
