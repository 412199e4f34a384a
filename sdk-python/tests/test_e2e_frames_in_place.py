"""End to end: calls of quick steps run on the frame connection's reader thread (pace.py), and a
trusted step that turns slow can still be cancelled and still times out."""

import time

from frame_client import FrameClient, frames_path, output_of
from harness import CONFORMANCE_PLUGIN, error_name, header
from heddle.plugin.v1 import controller_pb2
from heddle.sdk.pace import TRUSTED_AFTER

ATTEMPTS = 3000  # polling bound (10 ms apart): a safety net, not a timing assertion


def _earn_trust(client):
    for _ in range(TRUSTED_AFTER + 4):
        response, payload = client.call(header("sleep", {"ms": 0}))
        assert not response.HasField("error") and output_of(response, payload).num_rows == 1


def test_a_trusted_step_turning_slow_can_be_cancelled_and_times_out(launch):
    plugin = launch(CONFORMANCE_PLUGIN, HEDDLE_LOG_LEVEL="trace")
    with FrameClient(frames_path(plugin)) as client:
        _earn_trust(client)
        call_id = f"turned-slow-{time.monotonic_ns()}"
        call_no = client.send_call(header("sleep", {"ms": 60000}, call_id=call_id))
        behind = client.send_call(header("sleep", {"ms": 0}))
        for _ in range(ATTEMPTS):
            if plugin.controller.Cancel(controller_pb2.CancelRequest(call_id=call_id, reason="test"), timeout=10).found:
                break
            time.sleep(0.01)
        # It ran on the reader thread: the call behind it was read only once it ended (the documented
        # cost of running in place), so its answer comes second.
        got_no, response, _ = client.read_result()
        assert got_no == call_no and error_name(response.error) == "CANCELLED"
        got_no, response, _ = client.read_result()
        assert got_no == behind and not response.HasField("error")

        _earn_trust(client)
        response, _ = client.call(header("sleep", {"ms": 60000}, timeout_ms=200))
        assert error_name(response.error) == "DEADLINE_EXCEEDED"
        response, payload = client.call(header("sleep", {"ms": 0}))
        assert output_of(response, payload).num_rows == 1
