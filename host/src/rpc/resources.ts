// OpenResource / CloseResource on one plugin process (protocol §4).
import { Metadata } from "@grpc/grpc-js";
import { fromPluginError } from "../errors.js";
import { runCall, type CallTarget } from "./call-runner.js";

/** Opens a resource instance of `kind`; resolves with the plugin-side instance id. */
export function openResourceOnProcess(target: CallTarget, callId: string, component: string, kind: string, configJson: string): Promise<string> {
  return runCall<string>(target, { callId, component }, (control) =>
    target.clients.plugin.openResource({ resource: kind, configJson }, new Metadata(), {}, (err, res) => {
      if (err) return control.failGrpc(err);
      if (res.error) return control.reject(fromPluginError(res.error, target.pluginName, component));
      control.resolve(res.instanceId);
    }),
  );
}

/** Closes a plugin-side resource instance. */
export function closeResourceOnProcess(target: CallTarget, callId: string, component: string, instanceId: string): Promise<void> {
  return runCall<void>(target, { callId, component, timeoutMs: 30_000 }, (control, deadline) =>
    target.clients.plugin.closeResource({ instanceId }, new Metadata(), deadline ? { deadline } : {}, (err, res) => {
      if (err) return control.failGrpc(err);
      if (res.error) return control.reject(fromPluginError(res.error, target.pluginName, component));
      control.resolve();
    }),
  );
}
