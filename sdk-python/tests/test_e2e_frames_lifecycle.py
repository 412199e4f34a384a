"""End to end: the frame lane's listening, capability, protocol errors and shutdown (protocol §5.5, §11)."""

import os
import signal
import socket
import struct
import time

import pytest

from frame_client import KIND_CALL, PREFIX, FrameClient, frames_path, output_of
from harness import CONFORMANCE_PLUGIN, error_name, handshake, header
from heddle.plugin.v1 import controller_pb2

ATTEMPTS = 3000  # polling bound (10 ms apart): a safety net, not a timing assertion


def test_the_frames_socket_listens_before_the_handshake_line(launch):
    plugin = launch(CONFORMANCE_PLUGIN, connect=False)
    plugin.handshake_line()
    path = frames_path(plugin)
    assert path == plugin.socket_path + ".frames"
    with FrameClient(path) as client:
        response, payload = client.call(header("generate", {"rows": 2}))
        assert output_of(response, payload).num_rows == 2


def test_frames_is_advertised_only_when_the_host_offers_it(conformance):
    offered = handshake(conformance, capabilities=["streaming", "cancel", "frames"])
    assert list(offered.capabilities) == ["streaming", "cancel", "frames"]
    not_offered = handshake(conformance, capabilities=["streaming", "cancel"])
    assert "frames" not in not_offered.capabilities


def test_frames_can_be_turned_off(launch):
    plugin = launch(CONFORMANCE_PLUGIN, HEDDLE_PLUGIN_FRAMES="0")
    assert "frames" not in handshake(plugin, capabilities=["frames", "streaming"]).capabilities
    assert not os.path.exists(frames_path(plugin))


def test_a_stale_frames_socket_file_is_replaced(launch, tmp_path):
    plugin = launch(CONFORMANCE_PLUGIN, connect=False)
    plugin.handshake_line()
    stale = os.path.join(plugin.tmpdir, "old.sock")
    with open(stale + ".frames", "w") as handle:
        handle.write("left over")
    other = launch(CONFORMANCE_PLUGIN, HEDDLE_PLUGIN_SOCKET=stale)
    with FrameClient(stale + ".frames") as client:
        response, payload = client.call(header("generate", {"rows": 1}))
        assert output_of(response, payload).num_rows == 1
    assert "frames" in handshake(other, capabilities=["frames"]).capabilities


def test_a_bad_preface_closes_the_connection(conformance):
    with FrameClient(frames_path(conformance), preface=b"HTTP/1.1") as bad:
        assert bad.closed_by_peer()
    with FrameClient(frames_path(conformance)) as good:  # the lane itself keeps serving
        response, payload = good.call(header("generate", {"rows": 1}))
        assert output_of(response, payload).num_rows == 1


def _prefix(kind=KIND_CALL, zeros3=b"\0\0\0", zeros4=b"\0\0\0\0", header_len=0, payload_len=0, call_no=1):
    return PREFIX.pack(header_len, kind, zeros3, call_no, zeros4, payload_len)


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param(_prefix(kind=7), id="unknown kind"),
        pytest.param(_prefix(kind=2), id="a result frame from the host"),
        pytest.param(_prefix(zeros3=b"\0\1\0"), id="reserved bytes after kind"),
        pytest.param(_prefix(zeros4=b"\0\0\0\1"), id="reserved bytes after call_no"),
        pytest.param(_prefix(header_len=4) + b"\xff\xff\xff\xff", id="undecodable message"),
        pytest.param(_prefix(payload_len=1 << 53), id="payload over 2^53"),
    ],
)
def test_a_malformed_frame_closes_the_connection(conformance, frame):
    with FrameClient(frames_path(conformance)) as client:
        client.send_raw(frame)
        assert client.closed_by_peer()


def test_a_frame_cut_short_by_the_host_does_not_harm_the_plugin(conformance):
    with FrameClient(frames_path(conformance)) as client:
        message = header("echo").SerializeToString()
        client.send_raw(struct.pack("<IB3xI4xQ", len(message), KIND_CALL, 1, 1000) + message + b"only part")
    with FrameClient(frames_path(conformance)) as client:
        response, payload = client.call(header("generate", {"rows": 1}))
        assert output_of(response, payload).num_rows == 1


def _wait_until_refused(path):
    """Polls until the frame lane no longer accepts connections (the plugin began shutting down)."""
    for _ in range(ATTEMPTS):
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
        except OSError:
            return
        finally:
            probe.close()
        time.sleep(0.01)
    raise AssertionError("the frame lane kept accepting connections after Shutdown")


@pytest.mark.parametrize("how", ["Shutdown", "SIGTERM"])
def test_shutdown_lets_a_frame_call_in_flight_finish(launch, how):
    plugin = launch(CONFORMANCE_PLUGIN, HEDDLE_LOG_LEVEL="trace")
    with FrameClient(frames_path(plugin)) as client:
        call_no = client.send_call(header("sleep", {"ms": 300}, call_id="frame-graceful"))
        plugin.wait_for_log("call started", call_id="frame-graceful")
        if how == "Shutdown":
            plugin.controller.Shutdown(controller_pb2.ShutdownRequest(grace_ms=20000), timeout=10)
        else:
            plugin.proc.send_signal(signal.SIGTERM)  # the default grace (2 s) covers a 300 ms step
        got_no, response, payload = client.read_result()
        assert got_no == call_no
        assert output_of(response, payload).column("slept_ms").to_pylist() == [300]
        assert plugin.wait() == 0
        assert client.closed_by_peer()


def test_new_calls_during_shutdown_get_plugin_unavailable(launch):
    plugin = launch(CONFORMANCE_PLUGIN, HEDDLE_LOG_LEVEL="trace")
    path = frames_path(plugin)
    with FrameClient(path) as client:
        client.send_call(header("sleep", {"ms": 60000}, call_id="frame-holds-the-grace"))
        plugin.wait_for_log("call started", call_id="frame-holds-the-grace")
        plugin.controller.Shutdown(controller_pb2.ShutdownRequest(grace_ms=2500), timeout=10)
        _wait_until_refused(path)  # no new connections once shutting down
        late = client.send_call(header("generate", {"rows": 1}))
        got_no, response, payload = client.read_result()
        assert got_no == late
        assert error_name(response.error) == "PLUGIN_UNAVAILABLE" and payload == b""
        assert response.error.component == "conformance.generate"
        assert plugin.wait() == 0  # the grace ran out: the sleeping call was stopped, the process exited
        assert not os.path.exists(path)
