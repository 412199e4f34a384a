// Baseline for the small-call benchmark: the least a gRPC unary call over a
// Unix socket can cost with grpc-js, with no Heddle code on either side.
// Usage: node raw-echo-server.cjs <socket path>; exits when stdin closes.
const grpc = require("@grpc/grpc-js");
const { service } = require("./echo-service.cjs");

const server = new grpc.Server();
server.addService(service, { echo: (call, cb) => cb(null, call.request) });
server.bindAsync(`unix://${process.argv[2]}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
  process.stdout.write("ready\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
