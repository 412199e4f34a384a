"""Measures small-call round trips to a real Python plugin: the frame lane (protocol §5.5) against gRPC Invoke.

Starts the conformance plugin as heddle-host would and times `echo` of a 1-row
table and `generate` rows=1 from Python clients, over the frame lane
(tests/frame_client.py, one connection) and over gRPC unary Invoke; then, when
`node` is on PATH, 1-row echo over the frame lane from a Node client
(frames_node_client.mjs), which is what a host sees minus its own bookkeeping.

Cases run in alternating blocks rather than call by call: a gRPC call leaves
grpcio's client threads busy for a while in this process, which would be
charged to the next frame call. A benchmark, not a test: it prints figures.

    /work/main/.venv/bin/python sdk-python/bench/frames_roundtrip.py [N]
"""

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from frame_client import KIND_CALL, PREFIX, FrameClient, frames_path  # noqa: E402
from harness import CONFORMANCE_PLUGIN, header, invoke_pb2, start_plugin, to_ipc  # noqa: E402


def percentile(sorted_values, fraction):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


def frame_call(client, message_header, payload):
    client.send_call(message_header, payload)
    _, response, _ = client.read_result()
    assert not response.HasField("error"), response.error


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    plugin = start_plugin(CONFORMANCE_PLUGIN)
    client = FrameClient(frames_path(plugin))
    try:
        table = pa.table({"id": pa.array([1], pa.int64()), "name": ["a"]})
        payload = to_ipc(table)
        frame_echo = header("echo", {}, call_id="bench")
        frame_echo.input.streamed.total_bytes = len(payload)
        frame_generate = header("generate", {"rows": 1}, call_id="bench")
        grpc_echo = invoke_pb2.InvokeRequest(header=header("echo", {}, table, call_id="bench"))
        grpc_generate = invoke_pb2.InvokeRequest(header=header("generate", {"rows": 1}, call_id="bench"))
        calls = {
            "frames echo (1-row table in and out)": lambda: frame_call(client, frame_echo, payload),
            "frames generate rows=1 (no input)": lambda: frame_call(client, frame_generate, b""),
            "gRPC Invoke echo (1-row table in and out)": lambda: plugin.plugin.Invoke(grpc_echo),
            "gRPC Invoke generate rows=1 (no input)": lambda: plugin.plugin.Invoke(grpc_generate),
        }
        for call in calls.values():  # warm up connections, thread pools and pyarrow
            for _ in range(300):
                call()
        samples = {name: [] for name in calls}
        block = 250
        for _ in range(max(1, count // block)):
            for name, call in calls.items():
                for _ in range(block):
                    started = time.perf_counter_ns()
                    call()
                    samples[name].append((time.perf_counter_ns() - started) / 1000.0)
        for name, values in samples.items():
            values.sort()
            print(
                f"{name}: n={len(values)} p50={percentile(values, 0.5):.0f}us p90={percentile(values, 0.9):.0f}us "
                f"p99={percentile(values, 0.99):.0f}us mean={statistics.fmean(values):.0f}us"
            )
        if shutil.which("node"):
            message = frame_echo.SerializeToString()
            frame = PREFIX.pack(len(message), KIND_CALL, b"\0\0\0", 1, b"\0\0\0\0", len(payload)) + message + payload
            script = HERE / "frames_node_client.mjs"
            subprocess.run(["node", str(script), frames_path(plugin), frame.hex(), str(count)], check=True)
    finally:
        client.close()
        plugin.close()


if __name__ == "__main__":
    main()
