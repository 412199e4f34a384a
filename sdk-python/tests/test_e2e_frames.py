"""End to end: calls over the frame lane (protocol §5.5) of a real plugin process.

The test plays the host with frame_client.py: a Unix socket to
`<socket>.frames`, the preface, call frames with InvokeHeaders and Arrow IPC
payloads, result frames back. Cancel goes over gRPC as a host sends it.
"""

import os
import time

import pyarrow as pa
import pytest

from frame_client import FrameClient, frames_path, output_of
from harness import CONFORMANCE_PLUGIN, error_name, header, start_plugin
from heddle.core import ipc
from heddle.plugin.v1 import controller_pb2
from segments import large_table, make_shm_dir, read_segment, remove_dir, sample_table, write_ipc_file

MIB = 1 << 20
PEOPLE = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "score": pa.array([1.5, 2.0, None], pa.float64())})


@pytest.fixture(scope="module")
def shm_dir():
    directory = make_shm_dir()
    yield directory
    remove_dir(directory)


@pytest.fixture(scope="module")
def plugin(shm_dir):
    """The conformance plugin as a host offering `shm` and `frames` starts it; trace logs show call starts."""
    process = start_plugin(CONFORMANCE_PLUGIN, HEDDLE_SHM_DIR=shm_dir, HEDDLE_LOG_LEVEL="trace")
    yield process
    process.close()


@pytest.fixture
def client(plugin):
    with FrameClient(frames_path(plugin)) as connection:
        yield connection


def bare_header(step, config=None, **fields):
    """An InvokeHeader without input (the frame client adds the payload)."""
    return header(step, config, **fields)


def test_echo_returns_the_same_table(client):
    table = sample_table(7)
    response, payload = client.call(bare_header("echo"), table)
    assert output_of(response, payload).equals(table)
    assert response.stats.output_rows == 7 and response.stats.output_bytes == len(payload)


def test_an_unchanged_input_goes_back_as_the_bytes_it_came_in(client):
    sent = ipc.encode_stream(PEOPLE).to_pybytes()
    h = bare_header("echo")
    h.input.streamed.total_bytes = len(sent)
    call_no = client.send_call(h, sent)
    got_no, response, payload = client.read_result()
    assert got_no == call_no and not response.HasField("error")
    assert payload == sent


def test_inline_input_in_the_header_is_accepted(client):
    response, payload = client.call(header("add_column", {"name": "k", "value": "v"}, PEOPLE))
    out = output_of(response, payload)
    assert out.column("k").to_pylist() == ["v"] * 3 and out.column("id").to_pylist() == [1, 2, 3]


def test_a_step_without_input_answers_its_table(client):
    response, payload = client.call(bare_header("generate", {"rows": 4}))
    assert output_of(response, payload).column("label").to_pylist() == ["row-0", "row-1", "row-2", "row-3"]


def test_unknown_step_is_an_error_with_an_empty_payload(client):
    response, payload = client.call(bare_header("no_such_step"), PEOPLE)
    assert error_name(response.error) == "UNKNOWN_STEP"
    assert response.error.component == "conformance.no_such_step"
    assert payload == b"" and not response.HasField("output")


def test_invalid_config_names_the_field(client):
    response, payload = client.call(bare_header("generate", {"rows": -1}))
    assert error_name(response.error) == "INVALID_CONFIG"
    assert response.error.field == "/rows" and "rows" in response.error.message
    assert payload == b""


def test_a_step_exception_is_step_failed_with_its_stack(client):
    response, _ = client.call(bare_header("fail", {"message": "boom"}))
    assert error_name(response.error) == "STEP_FAILED"
    assert "boom" in response.error.message and "Traceback" in response.error.stack


def test_undecodable_payload_is_invalid_input(client):
    h = bare_header("echo")
    h.input.streamed.total_bytes = 9
    call_no = client.send_call(h, b"not arrow")
    got_no, response, payload = client.read_result()
    assert got_no == call_no
    assert error_name(response.error) == "INVALID_INPUT" and payload == b""


def test_streamed_input_without_a_payload_is_invalid_input(client):
    h = bare_header("echo")
    h.input.streamed.total_bytes = 0
    response, _ = client.call(h)
    assert error_name(response.error) == "INVALID_INPUT"


def test_fused_stages_run_in_one_call(client):
    h = bare_header("add_column", {"name": "first", "value": "x"})
    h.then.add(step="scale", config_json='{"column": "score", "factor": 10}')
    h.then.add(step="add_column", config_json='{"name": "second", "value": "y"}')
    response, payload = client.call(h, PEOPLE)
    out = output_of(response, payload)
    assert out.column_names == ["id", "score", "first", "second"]
    assert out.column("score").to_pylist() == [15.0, 20.0, None]


def test_a_bad_fused_stage_fails_before_anything_runs(client):
    h = bare_header("echo")
    h.then.add(step="scale", config_json='{"factor": 2}')
    response, _ = client.call(h, PEOPLE)
    assert error_name(response.error) == "INVALID_CONFIG"
    assert response.error.component == "conformance.scale"


def test_shm_input_and_output_by_handle(client, shm_dir, plugin):
    table = large_table(2 * MIB)
    ref = write_ipc_file(os.path.join(shm_dir, f"host-{time.monotonic_ns()}.arrow"), table)
    h = bare_header("scale", {"column": "value", "factor": 3}, shm_output_threshold=1024)
    h.input.shm.CopyFrom(ref)
    response, payload = client.call(h)
    assert not response.HasField("error"), response.error
    assert payload == b"" and response.output.WhichOneof("kind") == "shm"
    out_ref = response.output.shm
    assert out_ref.segment_id.startswith(f"{plugin.proc.pid}-") and out_ref.num_rows == table.num_rows
    assert out_ref.path == os.path.join(shm_dir, out_ref.segment_id + ".arrow")
    assert read_segment(out_ref).column("value").to_pylist()[:3] == [0.0, 1.5, 3.0]
    os.unlink(out_ref.path)  # the host owns produced segments
    os.unlink(ref.path)


def test_output_under_the_shm_threshold_comes_in_the_payload(client):
    response, payload = client.call(bare_header("echo", shm_output_threshold=64 * MIB), PEOPLE)
    assert output_of(response, payload).equals(PEOPLE)


def test_a_missing_segment_is_segment_not_found(client, shm_dir):
    h = bare_header("echo")
    h.input.shm.segment_id = "gone-1"
    h.input.shm.path = os.path.join(shm_dir, "gone-1.arrow")
    h.input.shm.length = 1024
    response, _ = client.call(h)
    assert error_name(response.error) == "SEGMENT_NOT_FOUND"


def test_a_50_mib_payload_round_trips(client):
    table = large_table(50 * MIB)
    response, payload = client.call(bare_header("echo"), table)
    assert len(payload) >= 50 * MIB
    assert output_of(response, payload).equals(table)


def test_a_large_computed_output_round_trips(client):
    table = large_table(20 * MIB)
    response, payload = client.call(bare_header("scale", {"column": "value", "factor": 2}), table)
    out = output_of(response, payload)
    assert out.num_rows == table.num_rows
    assert out.column("value")[table.num_rows - 1].as_py() == table.column("value")[table.num_rows - 1].as_py() * 2


def test_a_fast_call_is_answered_before_a_slow_one_sent_earlier(client):
    slow = client.send_call(bare_header("sleep", {"ms": 1500}))
    fast = client.send_table(bare_header("echo"), PEOPLE)
    first_no, first, first_payload = client.read_result()
    assert first_no == fast
    assert output_of(first, first_payload).equals(PEOPLE)
    second_no, second, second_payload = client.read_result()
    assert second_no == slow
    assert output_of(second, second_payload).column("slept_ms").to_pylist() == [1500]


def test_many_calls_in_flight_each_get_exactly_one_result(client):
    sent = {client.send_table(bare_header("add_column", {"name": "n", "value": str(i)}), PEOPLE): str(i) for i in range(40)}
    got = {}
    for _ in sent:
        call_no, response, payload = client.read_result()
        assert call_no not in got
        got[call_no] = output_of(response, payload).column("n")[0].as_py()
    assert got == sent


def test_two_connections_are_served_independently(plugin, client):
    with FrameClient(frames_path(plugin)) as other:
        slow = client.send_call(bare_header("sleep", {"ms": 500}))
        response, payload = other.call(bare_header("generate", {"rows": 1}))
        assert output_of(response, payload).num_rows == 1
        assert client.read_result()[0] == slow


def test_cancel_over_grpc_reaches_a_frame_call(plugin, client):
    call_id = f"frame-cancel-{time.monotonic_ns()}"
    call_no = client.send_call(bare_header("sleep", {"ms": 60000}, call_id=call_id))
    plugin.wait_for_log("call started", call_id=call_id)
    answer = plugin.controller.Cancel(controller_pb2.CancelRequest(call_id=call_id, reason="test"), timeout=10)
    assert answer.found
    got_no, response, payload = client.read_result()
    assert got_no == call_no
    assert error_name(response.error) == "CANCELLED" and payload == b""


def test_timeout_ms_starts_the_call_deadline(client):
    response, _ = client.call(bare_header("sleep", {"ms": 60000}, timeout_ms=200))
    assert error_name(response.error) == "DEADLINE_EXCEEDED"


def test_closing_the_connection_cancels_its_calls(plugin):
    call_id = f"frame-orphan-{time.monotonic_ns()}"
    with FrameClient(frames_path(plugin)) as gone:
        gone.send_call(bare_header("sleep", {"ms": 60000}, call_id=call_id))
        plugin.wait_for_log("call started", call_id=call_id)
    plugin.wait_for_log("call finished", call_id=call_id)  # the step saw ctx.cancelled and returned
    answer = plugin.controller.Cancel(controller_pb2.CancelRequest(call_id=call_id), timeout=10)
    assert not answer.found


def test_a_payload_the_header_does_not_announce_is_invalid_input(client):
    call_no = client.send_call(bare_header("echo"), ipc.encode_stream(PEOPLE).to_pybytes())
    got_no, response, payload = client.read_result()
    assert got_no == call_no
    assert error_name(response.error) == "INVALID_INPUT"
    assert "announces the input as absent" in response.error.message and payload == b""
