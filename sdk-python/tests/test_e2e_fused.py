"""End to end: fused calls (protocol §5.4), a step plus `InvokeHeader.then` stages in one call.

The conformance plugin checks results and error codes; the features plugin
proves a stage receives the very pyarrow Table (same object, same buffer
address) the previous stage returned: no IPC encode/decode between stages.
"""

import time

import pyarrow as pa
import pytest

from harness import CONFORMANCE_PLUGIN, TEST_PLUGINS, error_name, header, invoke, invoke_pb2, invoke_stream, open_resource, output_table, start_plugin
from heddle.plugin.v1 import controller_pb2
from segments import make_shm_dir, read_segment, remove_dir

PEOPLE = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "score": pa.array([1.5, 2.0, None], pa.float64())})
FIRST = {"name": "first", "value": "x"}


def stage(step, config=None, **resources):
    """One InvokeStage (config as a dict or raw JSON text)."""
    import json

    text = config if isinstance(config, str) else json.dumps(config or {})
    return invoke_pb2.InvokeStage(step=step, config_json=text, resources=resources)


CHAIN = [stage("scale", {"column": "score", "factor": 10}), stage("add_column", {"name": "second", "value": "y"})]


@pytest.fixture(scope="module")
def shm_dir():
    directory = make_shm_dir()
    yield directory
    remove_dir(directory)


@pytest.fixture(scope="module")
def plugin(shm_dir):
    process = start_plugin(CONFORMANCE_PLUGIN, HEDDLE_SHM_DIR=shm_dir)
    yield process
    process.close()


@pytest.fixture(scope="module")
def features():
    process = start_plugin(TEST_PLUGINS / "features")
    yield process
    process.close()


def test_three_fused_steps_equal_three_separate_calls(plugin):
    separate = output_table(invoke(plugin, "add_column", FIRST, PEOPLE))
    separate = output_table(invoke(plugin, "scale", {"column": "score", "factor": 10}, separate))
    separate = output_table(invoke(plugin, "add_column", {"name": "second", "value": "y"}, separate))
    fused = invoke(plugin, "add_column", FIRST, PEOPLE, then=CHAIN)
    output = output_table(fused)
    assert output.equals(separate)
    assert output.to_pylist()[0] == {"id": 1, "score": 15.0, "first": "x", "second": "y"}
    assert fused.stats.output_rows == 3


def test_fused_through_invoke_stream(plugin):
    output, result, chunks = invoke_stream(plugin, "add_column", FIRST, PEOPLE, then=CHAIN)
    assert not result.HasField("error") and result.output.HasField("streamed") and chunks >= 1
    assert output.to_pylist()[2] == {"id": 3, "score": None, "first": "x", "second": "y"}


def test_last_stage_output_goes_by_handle_past_the_threshold(plugin):
    response = invoke(plugin, "generate", {"rows": 1000}, then=[stage("add_column", {"name": "tag", "value": "t"})], shm_output_threshold=1)
    assert response.output.HasField("shm"), response
    table = read_segment(response.output.shm)
    assert table.num_rows == 1000 and table.to_pylist()[999] == {"id": 999, "label": "row-999", "tag": "t"}


def test_a_stage_with_a_resource(plugin):
    counter = open_resource(plugin, "counter", {"start": 5}).instance_id
    then = [stage("count", counter=counter)]
    assert output_table(invoke(plugin, "generate", {"rows": 4}, then=then)).to_pylist() == [{"total": 9}]
    assert output_table(invoke(plugin, "generate", {"rows": 2}, then=then)).to_pylist() == [{"total": 11}]


def test_a_stage_gets_the_same_table_object_and_buffers(features):
    fused = output_table(invoke(features, "remember", {}, PEOPLE, then=[stage("same_as_remembered")]))
    assert fused.to_pylist() == [{"same_object": True, "same_buffer": True}]
    # Control: as separate calls the table crosses IPC, so it is another object in other memory.
    first = output_table(invoke(features, "remember", {}, PEOPLE))
    assert output_table(invoke(features, "same_as_remembered", {}, first)).to_pylist() == [{"same_object": False, "same_buffer": False}]


def test_an_exception_in_stage_two_names_it(plugin):
    response = invoke(plugin, "echo", {}, PEOPLE, then=[stage("fail", {"message": "stage two broke"}), stage("echo")])
    assert error_name(response.error) == "STEP_FAILED"
    assert response.error.component == "conformance.fail" and "stage two broke" in response.error.message and response.error.stack


def test_a_bad_config_in_stage_three_is_invalid_config_before_anything_runs(plugin):
    counter = open_resource(plugin, "counter", {}).instance_id
    response = invoke(plugin, "echo", {}, PEOPLE, then=[stage("count", counter=counter), stage("scale", {"column": "score", "factor": "ten"})])
    assert error_name(response.error) == "INVALID_CONFIG"
    assert response.error.component == "conformance.scale" and response.error.field == "/factor"
    # Nothing ran: the counter is still at 0.
    assert output_table(invoke(plugin, "count", {}, PEOPLE, resources={"counter": counter})).to_pylist() == [{"total": 3}]


def test_an_unknown_stage_is_unknown_step(plugin):
    response = invoke(plugin, "echo", {}, PEOPLE, then=[stage("nope")])
    assert error_name(response.error) == "UNKNOWN_STEP" and response.error.component == "conformance.nope"


def test_a_stage_without_its_resource_is_missing_resource(plugin):
    _, result, _ = invoke_stream(plugin, "echo", {}, PEOPLE, then=[stage("count")])
    assert error_name(result.error) == "MISSING_RESOURCE" and result.error.component == "conformance.count"


def test_a_non_table_from_a_middle_stage_is_invalid_output(plugin):
    response = invoke(plugin, "echo", {}, PEOPLE, then=[stage("bad_output"), stage("echo")])
    assert error_name(response.error) == "INVALID_OUTPUT" and response.error.component == "conformance.bad_output"


def test_cancel_stops_the_whole_chain(plugin):
    request = invoke_pb2.InvokeRequest(header=header("echo", {}, PEOPLE, call_id="fused-cancel", then=[stage("sleep", {"ms": 600000}), stage("echo")]))
    future = plugin.plugin.Invoke.future(request, timeout=120)
    while not plugin.controller.Cancel(controller_pb2.CancelRequest(call_id="fused-cancel", reason="test"), timeout=10).found:
        time.sleep(0.005)
    assert error_name(future.result().error) == "CANCELLED"


def test_the_deadline_covers_the_whole_chain(plugin):
    response = invoke(plugin, "echo", {}, PEOPLE, timeout_ms=50, then=[stage("sleep", {"ms": 600000})])
    assert error_name(response.error) == "DEADLINE_EXCEEDED"
