// A bytes-in, bytes-out unary gRPC method: the raw baseline of the small-call benchmark.
const identity = (b) => b;
exports.service = {
  echo: {
    path: "/bench.Echo/Echo", requestStream: false, responseStream: false,
    requestSerialize: identity, requestDeserialize: identity,
    responseSerialize: identity, responseDeserialize: identity,
  },
};
