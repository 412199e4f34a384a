"""Measures small-call round trips to a real Python plugin process over its Unix socket.

Starts the conformance plugin as heddle-host would, plus a bare grpcio server
(bare_server.py) as a baseline, then times interleaved unary calls with the
generated Python gRPC client: `echo` of a 1-row table, `generate` rows=1 (no
input), the plugin's trivial `Cancel` RPC, and the bare server's `Cancel`.
Interleaving makes the comparison fair on a machine busy with other work.

    /work/main/.venv/bin/python sdk-python/bench/roundtrip.py [N]
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
import pyarrow as pa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from harness import CONFORMANCE_PLUGIN, header, invoke_pb2, start_plugin  # noqa: E402
from heddle.plugin.v1 import controller_pb2, controller_pb2_grpc  # noqa: E402


def percentile(sorted_values, fraction):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    folder = tempfile.mkdtemp(prefix="hb-", dir="/tmp")
    bare_socket = os.path.join(folder, "b.sock")
    bare = subprocess.Popen([sys.executable, str(HERE / "bare_server.py"), bare_socket], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    plugin = start_plugin(CONFORMANCE_PLUGIN)
    try:
        bare.stdout.readline()
        bare_channel = grpc.insecure_channel("unix:" + bare_socket)
        bare_stub = controller_pb2_grpc.ControllerServiceStub(bare_channel)
        table = pa.table({"id": pa.array([1], pa.int64()), "name": ["a"]})
        echo = invoke_pb2.InvokeRequest(header=header("echo", {}, table, call_id="bench"))
        generate = invoke_pb2.InvokeRequest(header=header("generate", {"rows": 1}, call_id="bench"))
        cancel = controller_pb2.CancelRequest(call_id="none")
        calls = {
            "plugin Invoke echo (1-row table in and out)": lambda: plugin.plugin.Invoke(echo),
            "plugin Invoke generate rows=1 (no input)": lambda: plugin.plugin.Invoke(generate),
            "plugin Cancel (trivial RPC)": lambda: plugin.controller.Cancel(cancel),
            "bare grpcio server Cancel (baseline)": lambda: bare_stub.Cancel(cancel),
        }
        for call in calls.values():  # warm up channels, thread pools and pyarrow
            for _ in range(200):
                call()
        samples = {name: [] for name in calls}
        for _ in range(count):
            for name, call in calls.items():
                started = time.perf_counter_ns()
                call()
                samples[name].append((time.perf_counter_ns() - started) / 1000.0)
        for name, values in samples.items():
            values.sort()
            print(
                f"{name}: n={count} p50={percentile(values, 0.5):.0f}us p90={percentile(values, 0.9):.0f}us "
                f"p99={percentile(values, 0.99):.0f}us mean={statistics.fmean(values):.0f}us"
            )
        bare_channel.close()
    finally:
        plugin.close()
        bare.stdin.close()
        bare.wait(timeout=10)
        os.unlink(bare_socket) if os.path.exists(bare_socket) else None
        os.rmdir(folder)


if __name__ == "__main__":
    main()
