"""End to end: an unchanged input that came by handle goes back as that handle (protocol §8.2 "Pass-through").

The test plays the host on every lane of a real plugin process (unary Invoke,
InvokeStream, the frame lane): it writes a segment into its own HEDDLE_SHM_DIR,
sends it to `echo` (or a fused chain of echoes) with `shm_output_threshold`
set, and checks the answer names the very same segment and that no file
appeared in the folder. A step that changes the table still answers with a
new segment the plugin wrote.
"""

import os
import time

import pytest

from frame_client import FrameClient, frames_path, output_of
from harness import CONFORMANCE_PLUGIN, header, invoke_pb2, output_table, start_plugin
from heddle.core import ipc
from segments import large_table, make_shm_dir, maps_of, read_segment, remove_dir, write_ipc_file
from test_e2e_shm import shm_invoke, shm_invoke_stream, take_output_segment

MIB = 1 << 20
TABLE = large_table(2 * MIB)
ECHO = invoke_pb2.InvokeStage(step="echo", config_json="{}")


@pytest.fixture(scope="module")
def shm_dir():
    directory = make_shm_dir()
    yield directory
    remove_dir(directory)


@pytest.fixture(scope="module")
def plugin(shm_dir):
    """The conformance plugin as a host offering `shm` and `frames` starts it."""
    process = start_plugin(CONFORMANCE_PLUGIN, HEDDLE_SHM_DIR=shm_dir)
    yield process
    process.close()


@pytest.fixture
def segment(shm_dir):
    """A 2 MiB input segment the test (the host) wrote; removed after the test."""
    ref = write_ipc_file(os.path.join(shm_dir, f"host-{time.monotonic_ns()}.arrow"), TABLE)
    yield ref
    os.unlink(ref.path)


def frame_call(plugin, h):
    with FrameClient(frames_path(plugin)) as client:
        return client.call(h)


def unary(plugin, ref, step="echo", config="{}", **fields):
    return shm_invoke(plugin, step, ref, config_json=config, **fields)


def streamed(plugin, ref, step="echo", config="{}", **fields):
    chunks, result = shm_invoke_stream(plugin, step, ref, config_json=config, **fields)
    assert chunks == [], "an output by handle sends no chunks"
    return result


def framed(plugin, ref, step="echo", config="{}", **fields):
    h = header(step, config, **fields)
    h.input.shm.CopyFrom(ref)
    response, payload = frame_call(plugin, h)
    assert payload == b"", "an output by handle has no payload"
    return response


LANES = [unary, streamed, framed]
LANE_IDS = ["unary", "stream", "frames"]


def assert_passed_through(response, ref, shm_dir, before):
    assert not response.HasField("error"), response.error
    assert response.output.WhichOneof("kind") == "shm"
    out = response.output.shm
    assert (out.segment_id, out.path, out.offset, out.length) == (ref.segment_id, ref.path, ref.offset, ref.length)
    assert out.num_rows == TABLE.num_rows
    assert response.stats.output_rows == TABLE.num_rows and response.stats.output_bytes == ref.length
    assert sorted(os.listdir(shm_dir)) == before, "pass-through must not write a new segment"
    assert read_segment(out).equals(TABLE), "the lent segment is left as the host wrote it"


@pytest.mark.parametrize("lane", LANES, ids=LANE_IDS)
def test_echo_answers_with_the_input_segment(plugin, shm_dir, segment, lane):
    before = sorted(os.listdir(shm_dir))
    response = lane(plugin, segment, shm_output_threshold=MIB)
    assert_passed_through(response, segment, shm_dir, before)
    assert segment.path not in set(maps_of(plugin.proc.pid)), "the input mapping still ends with the call"


@pytest.mark.parametrize("lane", LANES, ids=LANE_IDS)
def test_a_fused_chain_of_echoes_answers_with_the_first_steps_input(plugin, shm_dir, segment, lane):
    before = sorted(os.listdir(shm_dir))
    response = lane(plugin, segment, then=[ECHO, ECHO], shm_output_threshold=MIB)
    assert_passed_through(response, segment, shm_dir, before)


@pytest.mark.parametrize("lane", LANES, ids=LANE_IDS)
def test_a_changed_table_still_answers_with_a_new_segment(plugin, shm_dir, segment, lane):
    response = lane(plugin, segment, "scale", '{"column": "value", "factor": 2}', shm_output_threshold=MIB)
    assert not response.HasField("error"), response.error
    out = response.output.shm
    assert out.segment_id != segment.segment_id and out.path != segment.path
    table = take_output_segment(plugin, shm_dir, response.output)  # checks the plugin wrote it, then frees it
    assert table.column("value").to_pylist()[:3] == [0.0, 1.0, 2.0]


def test_a_fused_chain_that_changes_the_table_answers_with_a_new_segment(plugin, shm_dir, segment):
    then = [invoke_pb2.InvokeStage(step="add_column", config_json='{"name": "tag", "value": "t"}'), ECHO]
    response = unary(plugin, segment, then=then, shm_output_threshold=MIB)
    assert not response.HasField("error"), response.error
    assert response.output.shm.segment_id != segment.segment_id
    table = take_output_segment(plugin, shm_dir, response.output)
    assert table.column_names == ["id", "value", "tag"] and table.num_rows == TABLE.num_rows


def test_an_input_segment_under_the_threshold_goes_back_as_bytes(plugin, shm_dir, segment):
    before = sorted(os.listdir(shm_dir))
    over = segment.length + 1
    assert output_table(unary(plugin, segment, shm_output_threshold=over)).equals(TABLE)
    chunks, result = shm_invoke_stream(plugin, "echo", segment, shm_output_threshold=over)
    assert not result.HasField("error") and result.output.HasField("streamed")
    assert ipc.decode_stream(b"".join(chunks)).equals(TABLE)
    h = header("echo", shm_output_threshold=over)
    h.input.shm.CopyFrom(segment)
    assert output_of(*frame_call(plugin, h)).equals(TABLE)
    assert sorted(os.listdir(shm_dir)) == before


def test_without_a_threshold_an_echo_answers_bytes(plugin, shm_dir, segment):
    before = sorted(os.listdir(shm_dir))
    assert output_table(unary(plugin, segment)).equals(TABLE)
    assert sorted(os.listdir(shm_dir)) == before
