"""Times one call with a large input by shared-memory handle against the same input streamed (protocol §8).

Starts the conformance plugin with HEDDLE_SHM_DIR on /dev/shm, writes a table
of SIZE MiB (default 100) as an Arrow IPC file there, and times, as median of
ROUNDS (default 5):

- `count` with the input by handle (unary Invoke and InvokeStream) vs streamed
  in 2 MiB chunks (one-row output: the cost of handing the input over), next
  to `count` without input (the bare call cost);
- `echo` with input and output by handle vs input and output streamed (the
  output by handle is written once into a new segment).

    /work/main/.venv/bin/python sdk-python/bench/shm_handoff.py [SIZE_MIB] [ROUNDS]
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from harness import CONFORMANCE_PLUGIN, invoke_pb2, invoke_stream, open_resource, start_plugin  # noqa: E402
from heddle.plugin.v1 import controller_pb2  # noqa: E402
from segments import large_table, make_shm_dir, remove_dir, write_ipc_file  # noqa: E402

MIB = 1 << 20


def by_handle(plugin, step, ref, config, resources, threshold):
    """InvokeStream with the input as a handle in the header; returns the final result."""
    header = invoke_pb2.InvokeHeader(call_id="bench", step=step, config_json=json.dumps(config), resources=resources, shm_output_threshold=threshold)
    header.input.shm.CopyFrom(ref)
    result = None
    for message in plugin.plugin.InvokeStream(iter([invoke_pb2.InvokeStreamRequest(header=header)]), timeout=300):
        if message.WhichOneof("msg") == "result":
            result = message.result
    assert result is not None and not result.HasField("error"), result
    return result


def by_handle_unary(plugin, step, ref, config, resources):
    """A unary Invoke with the input as a handle; returns the response."""
    header = invoke_pb2.InvokeHeader(call_id="bench", step=step, config_json=json.dumps(config), resources=resources)
    if ref is not None:
        header.input.shm.CopyFrom(ref)
    response = plugin.plugin.Invoke(invoke_pb2.InvokeRequest(header=header), timeout=300)
    assert not response.HasField("error"), response
    return response


def drop_output(plugin, result):
    """Frees an output segment as the host would (unlink, then ReleaseSegments)."""
    if result.output.HasField("shm"):
        os.unlink(result.output.shm.path)
        plugin.controller.ReleaseSegments(controller_pb2.ReleaseSegmentsRequest(segment_ids=[result.output.shm.segment_id]))


def median_ms(rounds, call):
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main():
    size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    shm_dir = make_shm_dir()
    plugin = start_plugin(CONFORMANCE_PLUGIN, HEDDLE_SHM_DIR=shm_dir)
    try:
        table = large_table(size_mib * MIB)
        ref = write_ipc_file(os.path.join(shm_dir, "bench-input.arrow"), table)
        counter = {"counter": open_resource(plugin, "counter", {}).instance_id}
        print(f"input: {table.num_rows} rows, {ref.length / MIB:.1f} MiB Arrow IPC file")
        small_calls = max(50, rounds)  # calls by handle are sub-millisecond: take more samples
        rows = [
            ("count, no input (bare call)", small_calls, lambda: by_handle_unary(plugin, "count", None, {}, counter)),
            ("count, input by handle, Invoke", small_calls, lambda: by_handle_unary(plugin, "count", ref, {}, counter)),
            ("count, input by handle, InvokeStream", small_calls, lambda: by_handle(plugin, "count", ref, {}, counter, 0)),
            ("count, input streamed", rounds, lambda: invoke_stream(plugin, "count", {}, table, chunk=2 * MIB, resources=counter)),
            ("echo, input + output by handle", rounds, lambda: drop_output(plugin, by_handle(plugin, "echo", ref, {}, {}, MIB))),
            ("echo, input + output streamed", rounds, lambda: invoke_stream(plugin, "echo", {}, table, chunk=2 * MIB)),
        ]
        for _, _, call in rows:  # warm-up: page cache, channel, pyarrow
            for _ in range(3):
                call()
        for name, count, call in rows:
            print(f"  {name:38s} {median_ms(count, call):9.2f} ms  (median of {count})")
    finally:
        plugin.close()
        remove_dir(shm_dir)


if __name__ == "__main__":
    main()
