"""A bare grpcio server (same thread-pool setup as the SDK, no SDK code) for the round-trip baseline.

Serves ControllerService.Cancel answering `found=false` on the socket given
as argv[1]; prints `ready` once listening and exits when stdin closes.
"""

import sys
from concurrent.futures import ThreadPoolExecutor

import grpc

from heddle.plugin.v1 import controller_pb2, controller_pb2_grpc


class Bare(controller_pb2_grpc.ControllerServiceServicer):
    def Cancel(self, request, context):
        return controller_pb2.CancelResponse(found=False)


def main():
    server = grpc.server(ThreadPoolExecutor(max_workers=16))
    controller_pb2_grpc.add_ControllerServiceServicer_to_server(Bare(), server)
    server.add_insecure_port("unix:" + sys.argv[1])
    server.start()
    print("ready", flush=True)
    sys.stdin.read()
    server.stop(0)


if __name__ == "__main__":
    main()
