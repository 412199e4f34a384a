// The adapter between grpc-js and the SDK: implementations of PluginService and
// ControllerService over the generated code. Generated types stop here; the
// call pipelines live in invoke*.ts and run-command.ts.
import { type ServerUnaryCall, type sendUnaryData, status as GrpcStatus } from "@grpc/grpc-js";
import { HeddleError } from "../core/errors.js";
import type { ControllerServiceServer } from "../gen/heddle/plugin/v1/controller.js";
import type { PluginServiceServer } from "../gen/heddle/plugin/v1/plugin.js";
import type { OpenResourceResponse } from "../gen/heddle/plugin/v1/resource.js";
import { handleInvokeStream } from "./invoke-stream.js";
import { handleInvoke } from "./invoke-unary.js";
import { handleRunCommand } from "./run-command.js";
import type { PluginRuntime } from "./runtime.js";
import { toProtoError } from "./proto-error.js";

/** Starts a graceful shutdown with this grace (ms); provided by serve.ts. */
export type ShutdownStarter = (graceMs: number, reason: string) => void;

/** PluginService implementation over a runtime. */
export function pluginService(runtime: PluginRuntime): PluginServiceServer {
  return {
    handshake(call, callback) {
      try {
        callback(null, runtime.handshake(call.request));
      } catch (err) {
        callback({ code: GrpcStatus.FAILED_PRECONDITION, details: (err as Error).message });
      }
    },
    describe(_call, callback) {
      callback(null, { manifest: runtime.manifest });
    },
    openResource(call, callback) {
      void openResource(runtime, call).then((response) => callback(null, response));
    },
    closeResource(call, callback) {
      const id = call.request.instanceId;
      runtime.instances.closeInstance(id).then(
        () => callback(null, {}),
        (err: unknown) => callback(null, { error: toProtoError(err, "INTERNAL", id, "checks") }),
      );
    },
    invoke(call, callback) {
      handleInvoke(runtime, call, callback);
    },
    invokeStream(call) {
      handleInvokeStream(runtime, call);
    },
    runCommand(call) {
      handleRunCommand(runtime, call);
    },
  };
}

async function openResource(runtime: PluginRuntime, call: ServerUnaryCall<{ resource: string; configJson: string }, OpenResourceResponse>): Promise<OpenResourceResponse> {
  const { resource, configJson } = call.request;
  const definition = runtime.definitions.resources.get(resource);
  if (!definition) {
    const known = [...runtime.definitions.resources.keys()].sort().join(", ") || "none";
    const unknown = new HeddleError("UNKNOWN_RESOURCE", `plugin "${runtime.definitions.namespace}" has no resource "${resource}"; it has: ${known}`);
    return { instanceId: "", error: toProtoError(unknown, "UNKNOWN_RESOURCE", resource, "checks") };
  }
  if (!runtime.isAccepting) {
    const closing = new HeddleError("UNSUPPORTED", "the plugin is shutting down and opens no new resources");
    return { instanceId: "", error: toProtoError(closing, "UNSUPPORTED", resource, "checks") };
  }
  try {
    return { instanceId: await runtime.instances.openInstance(definition, configJson) };
  } catch (err) {
    // Resource constructors are plugin code: keep their stack.
    const phase = err instanceof HeddleError && err.code === "RESOURCE_INIT_FAILED" ? "plugin-code" : "checks";
    return { instanceId: "", error: toProtoError(err, "RESOURCE_INIT_FAILED", resource, phase) };
  }
}

/** ControllerService implementation: Cancel reaches running calls; Shutdown replies first, then stops. */
export function controllerService(runtime: PluginRuntime, startShutdown: ShutdownStarter): ControllerServiceServer {
  return {
    cancel(call, callback) {
      const found = runtime.calls.cancel(call.request.callId, call.request.reason);
      if (found) runtime.logger.debug("call cancelled by the host", { call_id: call.request.callId, reason: call.request.reason || undefined });
      callback(null, { found });
    },
    shutdown(call, callback: sendUnaryData<object>) {
      callback(null, {});
      // Let the reply leave before the server starts closing.
      setImmediate(() => startShutdown(call.request.graceMs, "Shutdown RPC"));
    },
    releaseSegments(_call, callback: sendUnaryData<object>) {
      // Segments are written through a file descriptor that is closed before the
      // answer, and no mapping or pool is kept for them: nothing to drop here.
      callback(null, {});
    },
  };
}
