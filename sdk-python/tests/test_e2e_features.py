"""End to end: SDK features beyond the conformance namespace (tests/plugins/features)."""

import json

import pytest

from harness import TEST_PLUGINS, error_name, invoke, invoke_pb2, header, open_resource, output_table, resource_pb2
from heddle.plugin.v1 import command_pb2, controller_pb2, manifest_pb2


@pytest.fixture(scope="module")
def features():
    from harness import start_plugin

    plugin = start_plugin(TEST_PLUGINS / "features")
    yield plugin
    plugin.close()


def test_dataclass_config_with_an_enum(features):
    assert output_table(invoke(features, "convert", {"value": 1.5})).to_pylist() == [{"ms": 1500.0}]
    assert output_table(invoke(features, "convert", {"value": 7, "unit": "ms"})).to_pylist() == [{"ms": 7.0}]
    bad = invoke(features, "convert", {"value": 1, "unit": "hours"})
    assert error_name(bad.error) == "INVALID_CONFIG" and bad.error.field == "/unit" and '"s", "ms"' in bad.error.message


def test_current_context_optional_binding_and_stdlib_logging(features):
    out = output_table(invoke(features, "tag", {}, call_id="call-42"))
    assert out.to_pylist() == [{"call_id": "call-42", "store": None}]
    store = open_resource(features, "store", {"name": "main"}).instance_id
    out = output_table(invoke(features, "tag", {}, call_id="call-43", resources={"store": store}))
    assert out.to_pylist() == [{"call_id": "call-43", "store": "main"}]
    record = features.wait_for_log("tagging for call call-43")
    assert record["level"] == "warn" and record["fields"]["logger"] == "features"


def test_optional_binding_is_in_the_manifest(features):
    manifest = features.plugin.Describe(manifest_pb2.DescribeRequest(), timeout=10).manifest
    step = next(s for s in manifest.steps if s.name == "tag")
    assert [(r.binding, r.kind, r.optional) for r in step.resources] == [("store", "store", True)]
    convert = json.loads(next(s for s in manifest.steps if s.name == "convert").config_schema_json)
    assert convert["properties"]["unit"] == {"type": "string", "enum": ["s", "ms"], "default": "s"}


def test_close_resource_runs_close(features):
    store = open_resource(features, "store", {"name": "to-close"}).instance_id
    response = features.plugin.CloseResource(resource_pb2.CloseResourceRequest(instance_id=store), timeout=10)
    assert not response.HasField("error")
    features.wait_for_log("store closed", name="to-close")


def test_check_cancelled_raises_the_deadline_error(features):
    response = invoke(features, "spin", {}, timeout_ms=30)
    assert error_name(response.error) == "DEADLINE_EXCEEDED"


def test_cancel_reaches_a_running_command(features):
    request = command_pb2.RunCommandRequest(call_id="cmd-cancel", command="wait_cancel", context_json="{}")
    stream = features.plugin.RunCommand(request, timeout=120)
    first = next(stream)
    assert first.stdout_line == "waiting"  # the line arrived while the command still runs
    assert features.controller.Cancel(controller_pb2.CancelRequest(call_id="cmd-cancel"), timeout=10).found
    rest = list(stream)
    status = rest[-1].status
    assert status.state == command_pb2.COMMAND_STATE_CANCELED and error_name(status.error) == "CANCELLED"


def test_command_exit_code(features):
    request = command_pb2.RunCommandRequest(call_id="cmd-exit", command="exit_code", context_json="")
    events = list(features.plugin.RunCommand(request, timeout=30))
    assert events[0].stderr_line == "partial failure"
    assert events[-1].status.state == command_pb2.COMMAND_STATE_FAILED and events[-1].status.exit_code == 2


def test_shutdown_closes_open_resources(launch):
    plugin = launch(TEST_PLUGINS / "features")
    open_resource(plugin, "store", {"name": "left-open"})
    plugin.controller.Shutdown(controller_pb2.ShutdownRequest(grace_ms=500), timeout=10)
    assert plugin.wait() == 0
    plugin.final_stderr()
    assert any(r["message"] == "store closed" and r["fields"]["name"] == "left-open" for r in plugin.json_logs())


def test_unary_invoke_rejects_a_streamed_input(features):
    h = header("tag", {})
    h.input.streamed.total_bytes = 10
    response = features.plugin.Invoke(invoke_pb2.InvokeRequest(header=h), timeout=10)
    assert error_name(response.error) == "INVALID_INPUT" and "InvokeStream" in response.error.message
