"""End to end: process start-up, handshake, health and every way a plugin process stops (protocol §2, §10, §11)."""

import os
import signal

import grpc
import pytest
from grpc_health.v1 import health_pb2

from harness import CONFORMANCE_PLUGIN, handshake, header, invoke_pb2
from heddle.plugin.v1 import controller_pb2, manifest_pb2


def test_handshake_line_names_the_socket_and_protocol(launch):
    plugin = launch(CONFORMANCE_PLUGIN, connect=False)
    line = plugin.handshake_line()
    assert line == f"HEDDLE|1|1|unix|{plugin.socket_path}|grpc"
    assert len(plugin.socket_path) < 100


def test_handshake_rpc_picks_the_version_and_shared_capabilities(conformance):
    answer = handshake(conformance, versions=[3, 2, 1], capabilities=["streaming", "shm", "cancel"])
    assert answer.protocol_version == 1
    assert (answer.sdk_name, answer.sdk_language) == ("heddle-sdk", "python")
    assert answer.sdk_version
    assert list(answer.capabilities) == ["streaming", "cancel"]  # no HEDDLE_SHM_DIR here, so no shm; commands not offered
    assert answer.pid == conformance.proc.pid


def test_handshake_rpc_without_a_shared_version_fails_precondition(conformance):
    with pytest.raises(grpc.RpcError) as caught:
        handshake(conformance, versions=[7, 8])
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "PROTOCOL_MISMATCH" in caught.value.details()


def test_health_serves_both_service_names(conformance):
    for service in ("", "plugin"):
        answer = conformance.health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_describe_lists_every_component(conformance):
    manifest = conformance.plugin.Describe(manifest_pb2.DescribeRequest(), timeout=10).manifest
    assert (manifest.namespace, manifest.version) == ("conformance", "1.0.0")
    assert {r.name for r in manifest.resources} == {"counter", "failing"}
    assert {s.name for s in manifest.steps} == {
        "echo", "add_column", "scale", "count", "generate", "fail", "fail_typed", "sleep", "bad_output", "log", "strict"
    }
    steps = {s.name: s for s in manifest.steps}
    assert not steps["generate"].takes_input and not steps["strict"].takes_input and steps["echo"].takes_input
    assert [(r.binding, r.kind, r.optional) for r in steps["count"].resources] == [("counter", "counter", False)]
    assert [h.name for h in manifest.handlers] == ["record_errors"]
    assert [(c.name, c.mode) for c in manifest.commands] == [("ping", manifest_pb2.EXECUTION_MODE_SYNC)]


def test_wrong_cookie_exits_3_with_a_message(launch):
    plugin = launch(CONFORMANCE_PLUGIN, connect=False, HEDDLE_PLUGIN_COOKIE="not-the-cookie")
    assert plugin.wait() == 3
    message = plugin.final_stderr()
    assert "HEDDLE_COOKIE_MISMATCH" in message and "heddle-host" in message


def test_missing_cookie_exits_3(launch):
    plugin = launch(CONFORMANCE_PLUGIN, connect=False, HEDDLE_PLUGIN_COOKIE=None)
    assert plugin.wait() == 3


def test_no_common_protocol_version_exits_4_naming_both_lists(launch):
    plugin = launch(CONFORMANCE_PLUGIN, connect=False, HEDDLE_PLUGIN_PROTOCOL_VERSIONS="7,9")
    assert plugin.wait() == 4
    message = plugin.final_stderr()
    assert "HEDDLE_PROTOCOL_MISMATCH" in message and "7,9" in message and "[1]" in message


def test_highest_shared_version_is_picked(launch):
    plugin = launch(CONFORMANCE_PLUGIN, connect=False, HEDDLE_PLUGIN_PROTOCOL_VERSIONS="5,1,0")
    assert plugin.handshake_line().split("|")[2] == "1"


def test_stale_socket_file_is_replaced(launch):
    plugin = launch(CONFORMANCE_PLUGIN, connect=False)
    plugin.handshake_line()
    stale = os.path.join(plugin.tmpdir, "stale.sock")
    with open(stale, "w") as handle:
        handle.write("left over")
    other = launch(CONFORMANCE_PLUGIN, HEDDLE_PLUGIN_SOCKET=stale)
    assert other.socket_path == stale
    assert handshake(other).protocol_version == 1


def test_shutdown_replies_then_exits_0_closing_resources(launch):
    plugin = launch(CONFORMANCE_PLUGIN)
    plugin.controller.Shutdown(controller_pb2.ShutdownRequest(grace_ms=500), timeout=10)
    assert plugin.wait() == 0


def test_shutdown_lets_a_running_call_finish_within_the_grace(launch):
    plugin = launch(CONFORMANCE_PLUGIN, HEDDLE_LOG_LEVEL="trace")
    request = invoke_pb2.InvokeRequest(header=header("sleep", {"ms": 300}, call_id="graceful"))
    future = plugin.plugin.Invoke.future(request, timeout=30)
    plugin.wait_for_log("call started", call_id="graceful")
    plugin.controller.Shutdown(controller_pb2.ShutdownRequest(grace_ms=20000), timeout=10)
    response = future.result()
    assert not response.HasField("error")
    assert plugin.wait() == 0


def test_shutdown_grace_over_cancels_running_calls(launch):
    plugin = launch(CONFORMANCE_PLUGIN, HEDDLE_LOG_LEVEL="trace")
    request = invoke_pb2.InvokeRequest(header=header("sleep", {"ms": 60000}, call_id="too-long"))
    future = plugin.plugin.Invoke.future(request, timeout=60)
    plugin.wait_for_log("call started", call_id="too-long")
    plugin.controller.Shutdown(controller_pb2.ShutdownRequest(grace_ms=100), timeout=10)
    assert plugin.wait() == 0  # exits although the step wanted a minute
    with pytest.raises(grpc.RpcError):
        future.result()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_gracefully_with_status_0(launch, signum):
    plugin = launch(CONFORMANCE_PLUGIN)
    plugin.proc.send_signal(signum)
    assert plugin.wait() == 0


def test_stdin_end_of_file_means_the_host_is_gone(launch):
    plugin = launch(CONFORMANCE_PLUGIN)
    plugin.proc.stdin.close()
    assert plugin.wait() == 0


def test_calls_are_refused_after_shutdown(launch):
    plugin = launch(CONFORMANCE_PLUGIN)
    plugin.controller.Shutdown(controller_pb2.ShutdownRequest(grace_ms=100), timeout=10)
    assert plugin.wait() == 0
    with pytest.raises(grpc.RpcError) as caught:
        plugin.plugin.Invoke(invoke_pb2.InvokeRequest(header=header("generate", {"rows": 1})), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
