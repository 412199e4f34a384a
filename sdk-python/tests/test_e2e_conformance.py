"""End to end: every behaviour and error code of the `conformance` namespace, over the real socket."""

import json

import grpc
import pyarrow as pa
import pytest

from harness import (
    CONFORMANCE_PLUGIN,
    error_name,
    header,
    invoke,
    invoke_pb2,
    invoke_stream,
    open_resource,
    output_table,
    resource_pb2,
    to_ipc,
)
from heddle.plugin.v1 import command_pb2, controller_pb2

PEOPLE = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "name": pa.array(["a", "b", None], pa.string())})


# -- steps that succeed ---------------------------------------------------------------------


def test_echo_returns_the_input_unchanged(conformance):
    assert output_table(invoke(conformance, "echo", {}, PEOPLE)).equals(PEOPLE)


def test_add_column_appends_a_utf8_column(conformance):
    out = output_table(invoke(conformance, "add_column", {"name": "tag", "value": "x"}, PEOPLE))
    assert out.schema.names == ["id", "name", "tag"] and out.schema.field("tag").type == pa.string()
    assert out.column("tag").to_pylist() == ["x", "x", "x"]


def test_scale_replaces_the_column_in_place_as_float64(conformance):
    table = pa.table({"a": pa.array([1, None, 3], pa.int64()), "b": ["x", "y", "z"]})
    out = output_table(invoke(conformance, "scale", {"column": "a", "factor": 1.5}, table))
    assert out.schema.names == ["a", "b"] and out.schema.field("a").type == pa.float64()
    assert out.column("a").to_pylist() == [1.5, None, 4.5]


def test_generate_takes_no_input(conformance):
    out = output_table(invoke(conformance, "generate", {"rows": 3}))
    assert out.schema == pa.schema([("id", pa.int64()), ("label", pa.string())])
    assert out.to_pylist() == [{"id": i, "label": f"row-{i}"} for i in range(3)]
    assert output_table(invoke(conformance, "generate", {"rows": 0})).num_rows == 0


def test_strict_applies_the_default_mode(conformance):
    out = output_table(invoke(conformance, "strict", {"name": "n", "count": 2}))
    assert out.to_pylist() == [{"name": "n", "count": 2, "mode": "a"}]
    assert out.schema == pa.schema([("name", pa.string()), ("count", pa.int64()), ("mode", pa.string())])


def test_log_writes_a_protocol_json_line_and_returns_the_input(conformance):
    out = output_table(invoke(conformance, "log", {"message": "hello from the log step"}, PEOPLE))
    assert out.equals(PEOPLE)
    record = conformance.wait_for_log("hello from the log step", step="log")
    assert record["level"] == "info" and record["time"].endswith("Z")


def test_handler_returns_the_errors_table(conformance):
    errors = pa.table({k: pa.array([v], pa.string()) for k, v in
                       {"code": "STEP_FAILED", "message": "m", "component": "c", "stack": "s"}.items()})
    assert output_table(invoke(conformance, "record_errors", {}, errors)).equals(errors)


def test_output_stats_are_reported(conformance):
    response = invoke(conformance, "generate", {"rows": 5})
    assert response.stats.output_rows == 5 and response.stats.output_bytes == len(response.output.inline.ipc)
    assert response.output.inline.num_rows == 5


# -- resources --------------------------------------------------------------------------------


def test_counter_keeps_its_total_across_calls(conformance):
    instance = open_resource(conformance, "counter", {"start": 5}).instance_id
    assert instance
    for expected in (8, 11):
        out = output_table(invoke(conformance, "count", {}, PEOPLE, resources={"counter": instance}))
        assert out.to_pylist() == [{"total": expected}]
    assert not conformance.plugin.CloseResource(resource_pb2.CloseResourceRequest(instance_id=instance)).HasField("error")


def test_instances_are_independent_and_default_start_is_0(conformance):
    first = open_resource(conformance, "counter").instance_id
    second = open_resource(conformance, "counter", {"start": 100}).instance_id
    assert first != second
    assert output_table(invoke(conformance, "count", {}, PEOPLE, resources={"counter": first})).to_pylist() == [{"total": 3}]
    assert output_table(invoke(conformance, "count", {}, PEOPLE, resources={"counter": second})).to_pylist() == [{"total": 103}]


def test_failing_resource_reports_resource_init_failed(conformance):
    response = open_resource(conformance, "failing")
    assert error_name(response.error) == "RESOURCE_INIT_FAILED"
    assert "resource init failed on purpose" in response.error.message and response.error.stack
    assert not response.instance_id


def test_unknown_resource_kind(conformance):
    response = open_resource(conformance, "nope")
    assert error_name(response.error) == "UNKNOWN_RESOURCE" and "counter" in response.error.message


def test_resource_config_is_validated(conformance):
    response = open_resource(conformance, "counter", {"start": "five"})
    assert error_name(response.error) == "INVALID_CONFIG" and response.error.field == "/start"


def test_closing_an_unknown_instance(conformance):
    response = conformance.plugin.CloseResource(resource_pb2.CloseResourceRequest(instance_id="counter-999"))
    assert error_name(response.error) == "RESOURCE_NOT_OPEN"


def test_missing_binding(conformance):
    response = invoke(conformance, "count", {}, PEOPLE)
    assert error_name(response.error) == "MISSING_RESOURCE" and "counter" in response.error.message


def test_binding_to_a_closed_instance(conformance):
    instance = open_resource(conformance, "counter").instance_id
    conformance.plugin.CloseResource(resource_pb2.CloseResourceRequest(instance_id=instance))
    response = invoke(conformance, "count", {}, PEOPLE, resources={"counter": instance})
    assert error_name(response.error) == "RESOURCE_NOT_OPEN"


# -- errors, in the order of protocol §5.1 ---------------------------------------------------


def test_unknown_step(conformance):
    response = invoke(conformance, "no_such_step", {}, PEOPLE)
    assert error_name(response.error) == "UNKNOWN_STEP" and "no_such_step" in response.error.message


@pytest.mark.parametrize(
    "step, config, field",
    [
        ("strict", {"count": 1}, "/name"),
        ("strict", {"name": "n", "count": 0}, "/count"),
        ("strict", {"name": "n", "count": 1, "mode": "c"}, "/mode"),
        ("strict", {"name": "n", "count": 1, "extra": True}, "/extra"),
        ("strict", {"name": 5, "count": 1}, "/name"),
        ("generate", {"rows": -1}, "/rows"),
        ("generate", {"rows": 1.5}, "/rows"),
        ("generate", {}, "/rows"),
        ("add_column", {"name": "x"}, "/value"),
        ("scale", {"column": "a", "factor": "2"}, "/factor"),
        ("echo", {"unexpected": 1}, "/unexpected"),
        ("sleep", {"ms": True}, "/ms"),
    ],
)
def test_invalid_config_names_the_field(conformance, step, config, field):
    response = invoke(conformance, step, config, PEOPLE)
    assert error_name(response.error) == "INVALID_CONFIG"
    assert response.error.field == field
    assert field in response.error.message
    assert response.error.component == f"conformance.{step}"


def test_config_that_is_not_json(conformance):
    response = invoke(conformance, "echo", "{not json", PEOPLE)
    assert error_name(response.error) == "INVALID_CONFIG" and "JSON" in response.error.message


def test_config_is_checked_before_resources(conformance):
    response = invoke(conformance, "count", {"bogus": 1}, PEOPLE)
    assert error_name(response.error) == "INVALID_CONFIG"


def test_input_that_is_not_arrow(conformance):
    h = header("echo", {})
    h.input.inline.ipc = b"definitely not arrow"
    response = conformance.plugin.Invoke(invoke_pb2.InvokeRequest(header=h), timeout=30)
    assert error_name(response.error) == "INVALID_INPUT"


def test_missing_input_for_a_step_that_needs_one(conformance):
    response = invoke(conformance, "echo", {})
    assert error_name(response.error) == "INVALID_INPUT" and "input" in response.error.message


def test_plain_exception_is_step_failed_with_a_stack(conformance):
    response = invoke(conformance, "fail", {}, PEOPLE)
    assert error_name(response.error) == "STEP_FAILED"
    assert "failed on purpose" in response.error.message and "Traceback" in response.error.stack
    custom = invoke(conformance, "fail", {"message": "custom text"})
    assert "custom text" in custom.error.message


def test_typed_error_chooses_its_code(conformance):
    response = invoke(conformance, "fail_typed", {}, PEOPLE)
    assert error_name(response.error) == "INVALID_INPUT" and response.error.message == "typed failure"


def test_bad_output(conformance):
    response = invoke(conformance, "bad_output", {}, PEOPLE)
    assert error_name(response.error) == "INVALID_OUTPUT" and "str" in response.error.message


# -- streaming ---------------------------------------------------------------------------------


def test_stream_round_trips_a_multi_chunk_table(conformance):
    rows = 200_000
    big = pa.table({"id": pa.array(range(rows), pa.int64()), "text": pa.array([f"value-{i:08d}" for i in range(rows)])})
    assert len(to_ipc(big)) > 4 * 1024 * 1024
    out, result, chunks = invoke_stream(conformance, "echo", {}, big, chunk=512 * 1024)
    assert not result.HasField("error")
    assert out.equals(big) and chunks > 1
    assert result.output.WhichOneof("kind") == "streamed" and result.stats.output_rows == rows


def test_stream_without_input_and_with_errors(conformance):
    out, result, _ = invoke_stream(conformance, "generate", {"rows": 2})
    assert out.num_rows == 2 and result.output.streamed.total_bytes > 0
    _, failed, chunks = invoke_stream(conformance, "fail", {}, PEOPLE)
    assert error_name(failed.error) == "STEP_FAILED" and chunks == 0
    _, unknown, _ = invoke_stream(conformance, "nope", {}, PEOPLE)
    assert error_name(unknown.error) == "UNKNOWN_STEP"


def test_unary_output_over_16_mib_must_use_the_stream(conformance):
    response = invoke(conformance, "generate", {"rows": 1_200_000})
    assert error_name(response.error) == "INVALID_OUTPUT" and "InvokeStream" in response.error.message
    out, result, chunks = invoke_stream(conformance, "generate", {"rows": 1_200_000})
    assert out.num_rows == 1_200_000 and chunks >= 8 and not result.HasField("error")


# -- cancellation and deadlines ---------------------------------------------------------------


def _cancel_when_running(plugin, call_id, attempts=5000):
    """Calls Cancel until the call is found running (found=True); returns how many tries it took."""
    for attempt in range(attempts):
        if plugin.controller.Cancel(controller_pb2.CancelRequest(call_id=call_id, reason="test"), timeout=10).found:
            return attempt
    raise AssertionError(f"call {call_id} never ran")


def test_cancel_reaches_step_code(conformance):
    request = invoke_pb2.InvokeRequest(header=header("sleep", {"ms": 60000}, call_id="cancel-me"))
    future = conformance.plugin.Invoke.future(request, timeout=120)
    _cancel_when_running(conformance, "cancel-me")
    response = future.result()
    assert error_name(response.error) == "CANCELLED"


def test_cancel_of_an_unknown_call_is_not_found(conformance):
    assert not conformance.controller.Cancel(controller_pb2.CancelRequest(call_id="never-started"), timeout=10).found


def test_timeout_ms_deadline_answers_deadline_exceeded(conformance):
    response = invoke(conformance, "sleep", {"ms": 60000}, timeout=120, timeout_ms=50)
    assert error_name(response.error) == "DEADLINE_EXCEEDED"


def test_grpc_deadline_stops_the_step(launch):
    plugin = launch(CONFORMANCE_PLUGIN, HEDDLE_LOG_LEVEL="trace")
    request = invoke_pb2.InvokeRequest(header=header("sleep", {"ms": 600000}, call_id="grpc-deadline"))
    with pytest.raises(grpc.RpcError) as caught:
        plugin.plugin.Invoke(request, timeout=0.3)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    # The step saw the deadline and returned long before its ten minutes: the SDK logs the end of the call.
    plugin.wait_for_log("call finished", call_id="grpc-deadline")


def test_grpc_cancellation_reaches_step_code(launch):
    plugin = launch(CONFORMANCE_PLUGIN, HEDDLE_LOG_LEVEL="trace")
    request = invoke_pb2.InvokeRequest(header=header("sleep", {"ms": 600000}, call_id="grpc-cancel"))
    future = plugin.plugin.Invoke.future(request, timeout=600)
    plugin.wait_for_log("call started", call_id="grpc-cancel")
    future.cancel()
    plugin.wait_for_log("call finished", call_id="grpc-cancel")


def test_short_sleep_completes(conformance):
    out = output_table(invoke(conformance, "sleep", {"ms": 20}))
    assert out.to_pylist() == [{"slept_ms": 20}]


# -- commands ---------------------------------------------------------------------------------


def _run_command(plugin, command, context=None, **fields):
    request = command_pb2.RunCommandRequest(call_id="cmd", command=command, context_json=json.dumps(context or {}), **fields)
    events = list(plugin.plugin.RunCommand(request, timeout=30))
    assert events[-1].WhichOneof("event") == "status" and all(e.WhichOneof("event") != "status" for e in events[:-1])
    stdout = [e.stdout_line for e in events if e.WhichOneof("event") == "stdout_line"]
    stderr = [e.stderr_line for e in events if e.WhichOneof("event") == "stderr_line"]
    chunks = [e.result_chunk.data for e in events if e.WhichOneof("event") == "result_chunk"]
    from heddle.core import ipc

    result = ipc.decode_stream(b"".join(chunks)) if chunks else None
    return stdout, stderr, result, events[-1].status


def test_ping_command(conformance):
    stdout, stderr, result, status = _run_command(conformance, "ping", cluster_json='{"name":"local"}', job_id="j1")
    assert (stdout, stderr) == (["ping"], ["ping-err"])
    assert result.to_pylist() == [{"message": "pong"}]
    assert status.state == command_pb2.COMMAND_STATE_SUCCEEDED and status.exit_code == 0


def test_ping_command_with_context(conformance):
    _, _, result, _ = _run_command(conformance, "ping", {"message": "hi"})
    assert result.to_pylist() == [{"message": "hi"}]


def test_command_errors(conformance):
    *_, unknown = _run_command(conformance, "nope")
    assert unknown.state == command_pb2.COMMAND_STATE_FAILED and error_name(unknown.error) == "UNKNOWN_COMMAND"
    *_, invalid = _run_command(conformance, "ping", {"message": 3})
    assert error_name(invalid.error) == "INVALID_CONFIG" and invalid.error.field == "/message"


def test_calls_run_concurrently(launch):
    plugin = launch(CONFORMANCE_PLUGIN, HEDDLE_LOG_LEVEL="trace")
    ids = [f"parallel-{i}" for i in range(8)]
    futures = [
        plugin.plugin.Invoke.future(invoke_pb2.InvokeRequest(header=header("sleep", {"ms": 600000}, call_id=i)), timeout=600)
        for i in ids
    ]
    for call_id in ids:  # all eight are inside step code at the same time
        plugin.wait_for_log("call started", call_id=call_id)
    for call_id in ids:
        assert plugin.controller.Cancel(controller_pb2.CancelRequest(call_id=call_id), timeout=10).found
    assert [error_name(f.result().error) for f in futures] == ["CANCELLED"] * len(ids)
