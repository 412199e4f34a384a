// Baseline for the small-call benchmark: the least a gRPC unary call over a
// Unix socket can cost with grpc-js, with no Heddle code on either side.
const grpc = require("@grpc/grpc-js");

const identity = (b) => b;
const service = {
  echo: {
    path: "/bench.Echo/Echo", requestStream: false, responseStream: false,
    requestSerialize: identity, requestDeserialize: identity,
    responseSerialize: identity, responseDeserialize: identity,
  },
};

const socket = process.argv[2];
const server = new grpc.Server();
server.addService(service, { echo: (call, cb) => cb(null, call.request) });
server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
  process.stdout.write("ready\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
module.exports = { service };
