// The gRPC clients of one plugin process: PluginService, ControllerService and
// grpc.health.v1.Health, sharing one channel over the process's Unix socket.
import * as grpc from "@grpc/grpc-js";
import { ControllerServiceClient } from "@heddle/sdk/gen/heddle/plugin/v1/controller";
import { PluginServiceClient } from "@heddle/sdk/gen/heddle/plugin/v1/plugin";
import { MAX_MESSAGE_BYTES } from "../options.js";

/** Health check request/response as grpc-health-check's proto-loader definition shapes them. */
interface HealthCheckResponse {
  status: "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN" | number;
}

/** A minimal typed view of the standard health client. */
export interface HealthClient extends grpc.Client {
  Check(
    request: { service: string },
    options: Partial<grpc.CallOptions>,
    callback: (err: grpc.ServiceError | null, response?: HealthCheckResponse) => void,
  ): grpc.ClientUnaryCall;
}

type HealthClientCtor = new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ClientOptions) => HealthClient;
let healthClientCtor: Promise<HealthClientCtor> | undefined;

/** The health client class, built on first use (loading the health proto costs ~0.1 s, often never needed by a short CLI call). */
function loadHealthClientCtor(): Promise<HealthClientCtor> {
  healthClientCtor ??= import("grpc-health-check").then(({ service }) =>
    grpc.makeGenericClientConstructor(service as unknown as grpc.ServiceDefinition, "Health") as unknown as HealthClientCtor);
  return healthClientCtor;
}

/** The three clients of one plugin process. Close them with `close()`. */
export interface PluginClients {
  plugin: PluginServiceClient;
  controller: ControllerServiceClient;
  /** The grpc.health.v1 client, created on first use on the same channel. */
  health(): Promise<HealthClient>;
  close(): void;
}

/** Channel options: large messages allowed both ways (tables travel inline up to 16 MiB). */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  // A local socket: reconnect fast if a connection attempt races the listener.
  "grpc.initial_reconnect_backoff_ms": 50,
  // HTTP/2's default 64 KiB stream window makes the plugin wait for a
  // WINDOW_UPDATE every 64 KiB of output: let large tables flow.
  "grpc-node.flow_control_window": 64 * 1024 * 1024,
  "grpc.max_reconnect_backoff_ms": 1000,
};

/** Connects the three clients to `unix://<socketPath>`. Does not wait for the connection. */
export function connectClients(socketPath: string): PluginClients {
  const address = `unix://${socketPath}`;
  const creds = grpc.credentials.createInsecure();
  const channel = new grpc.Channel(address, creds, CHANNEL_OPTIONS);
  const options: grpc.ClientOptions = { ...CHANNEL_OPTIONS, channelOverride: channel };
  const plugin = new PluginServiceClient(address, creds, options);
  const controller = new ControllerServiceClient(address, creds, options);
  let health: HealthClient | undefined;
  let closed = false;
  return {
    plugin,
    controller,
    async health() {
      const Ctor = await loadHealthClientCtor();
      health ??= new Ctor(address, creds, options);
      if (closed) health.close();
      return health;
    },
    close() {
      closed = true;
      plugin.close();
      controller.close();
      health?.close();
      channel.close();
    },
  };
}

/** Promise form of a unary call with a deadline; rejects with the grpc.ServiceError. */
export function unary<Req, Res>(
  fn: (req: Req, metadata: grpc.Metadata, options: Partial<grpc.CallOptions>, cb: (err: grpc.ServiceError | null, res: Res) => void) => grpc.ClientUnaryCall,
  thisArg: grpc.Client,
  request: Req,
  timeoutMs?: number,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const options: Partial<grpc.CallOptions> = timeoutMs ? { deadline: Date.now() + timeoutMs } : {};
    fn.call(thisArg, request, new grpc.Metadata(), options, (err, res) => (err ? reject(err) : resolve(res)));
  });
}
