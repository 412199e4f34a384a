"""The process side of docs/protocol.md §2: from environment checks to a clean exit.

cookie check (exit 3) → version pick (exit 4) → frame lane on the socket path
plus `.frames` (§5.5) → gRPC server on the Unix socket (PluginService,
ControllerService, health) → handshake line on stdout → serve until Shutdown,
stdin end-of-file, SIGTERM or SIGINT → stop accepting calls, let running ones
finish within the grace period, close resources, exit 0.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Mapping, NoReturn, Optional, Sequence

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

import heddle
from ..core.logger import install_logging_bridge
from ..core.shm import usable_shm_dir
from .dataplane import DataPlane
from .frame_server import SOCKET_SUFFIX, FrameServer
from .invoke import InvokePipeline
from .options import ServeOptions
from .plugin import Plugin
from .runtime import PluginRuntime
from .servicer import ControllerServicer, PluginServicer, add_services
from .workers import WorkerPool

COOKIE_VARIABLE = "HEDDLE_PLUGIN_COOKIE"
COOKIE_VALUE = "5c0f6a8e1d2b4c7f9a3e0b6d8c1f2a47"
VERSIONS_VARIABLE = "HEDDLE_PLUGIN_PROTOCOL_VERSIONS"
SOCKET_VARIABLE = "HEDDLE_PLUGIN_SOCKET"
SUPPORTED_VERSIONS = (1,)
"""Protocol versions this SDK speaks."""

EXIT_SERVE_FAILED = 1
EXIT_COOKIE_MISMATCH = 3
EXIT_PROTOCOL_MISMATCH = 4
HEALTH_SERVICES = ("", "plugin")


def _die(status: int, message: str) -> NoReturn:
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.stderr.flush()
    sys.exit(status)


def parse_versions(text: str) -> Sequence[int]:
    """The integers of a comma-separated version list; other tokens are ignored."""
    return [int(token) for token in (t.strip() for t in text.split(",")) if token.isdigit()]


def pick_version(offered: Sequence[int], supported: Sequence[int] = SUPPORTED_VERSIONS) -> Optional[int]:
    """The highest version in both lists, or None."""
    common = set(offered) & set(supported)
    return max(common) if common else None


def check_environment(env: Mapping[str, str]) -> "tuple[int, str]":
    """Steps 1-2 of protocol §2.2 plus the socket variable: returns (version, socket path) or exits.

    Exits 3 (cookie missing or wrong), 4 (no shared protocol version) or 1
    (no socket path), each with a message on stderr saying what to do.
    """
    if env.get(COOKIE_VARIABLE) != COOKIE_VALUE:
        _die(
            EXIT_COOKIE_MISMATCH,
            "HEDDLE_COOKIE_MISMATCH: this program is a Heddle plugin and must be started by heddle-host, "
            "not run directly. Run it through the host, e.g. `heddle-host describe <plugin-dir>` or "
            "`heddle-host call <plugin-dir> <namespace.step>`.",
        )
    offered_text = env.get(VERSIONS_VARIABLE, "")
    version = pick_version(parse_versions(offered_text))
    if version is None:
        _die(
            EXIT_PROTOCOL_MISMATCH,
            f"HEDDLE_PROTOCOL_MISMATCH: the host offers protocol versions [{offered_text}] and this plugin "
            f"(heddle-sdk python {heddle.__version__}) speaks [{','.join(map(str, SUPPORTED_VERSIONS))}]; "
            "upgrade heddle-host or the heddle-sdk package so they share a version.",
        )
    socket_path = env.get(SOCKET_VARIABLE, "")
    if not socket_path:
        _die(EXIT_SERVE_FAILED, f"{SOCKET_VARIABLE} is not set: heddle-host must give the Unix socket path to listen on.")
    return version, socket_path


class StopRequest:
    """Carries "please stop, with this grace" from any thread (RPC, signal, stdin watcher) to main."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.grace_s = 0.0
        self.reason = ""

    def request(self, grace_s: float, reason: str) -> None:
        """Asks the main thread to stop; the first request wins."""
        if not self._event.is_set():
            self.grace_s = grace_s
            self.reason = reason
            self._event.set()

    def wait(self) -> None:
        """Blocks until a stop is requested (wakes every second so signal handlers run promptly)."""
        while not self._event.wait(1.0):
            pass


def _watch_stdin(stop: StopRequest, grace_s: float) -> None:
    """Requests a stop when stdin reaches end-of-file: the host is gone (protocol §2.2 step 5)."""
    try:
        while os.read(0, 65536):
            pass
    except OSError:
        pass
    stop.request(grace_s, "stdin closed")


def serve(plugin: Plugin, options: Optional[ServeOptions] = None) -> NoReturn:
    """Serves `plugin` on the socket the host named and exits the process when stopped.

    Never returns: exits 0 after a graceful stop, or 1/3/4 as `check_environment` says.
    """
    options = options or ServeOptions()
    version, socket_path = check_environment(os.environ)
    install_logging_bridge()
    logger = plugin.logger
    runtime = PluginRuntime(plugin, logger)
    stop = StopRequest()

    server = grpc.server(
        ThreadPoolExecutor(max_workers=options.max_workers, thread_name_prefix="heddle-call"),
        options=[
            ("grpc.max_send_message_length", options.max_message_bytes),
            ("grpc.max_receive_message_length", options.max_message_bytes),
        ],
    )
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    data = DataPlane(options, usable_shm_dir(os.environ))
    pipeline = InvokePipeline(runtime, data)
    frames = _start_frames(socket_path, pipeline, options, logger)
    plugin_servicer = PluginServicer(pipeline, version, SUPPORTED_VERSIONS, options, frames=frames is not None)
    controller = ControllerServicer(runtime, lambda grace: stop.request(grace, "Shutdown"), options.shutdown_grace_s, data)
    add_services(server, plugin_servicer, controller)

    try:
        if os.path.lexists(socket_path):
            os.unlink(socket_path)
        bound = server.add_insecure_port("unix:" + socket_path)
    except (OSError, RuntimeError) as exc:
        _die(EXIT_SERVE_FAILED, f"cannot listen on {socket_path}: {exc}")
    if not bound:
        _die(EXIT_SERVE_FAILED, f"cannot listen on {socket_path}: check that its folder exists and is writable")
    server.start()
    for service in HEALTH_SERVICES:
        health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)

    # Handlers go in before the handshake line: from that line on the host may signal us.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _frame: stop.request(options.shutdown_grace_s, signal.Signals(number).name))
    threading.Thread(target=_watch_stdin, args=(stop, options.shutdown_grace_s), name="heddle-stdin", daemon=True).start()

    sys.stdout.write(f"HEDDLE|1|{version}|unix|{socket_path}|grpc\n")
    sys.stdout.flush()
    logger.debug(
        "serving", namespace=plugin.namespace, socket=socket_path, protocol=version, shm=data.shm_available, frames=frames is not None
    )

    stop.wait()
    _shutdown(server, frames, health_servicer, runtime, stop, logger)


def _start_frames(socket_path: str, pipeline: InvokePipeline, options: ServeOptions, logger) -> Optional[FrameServer]:
    """Listens on the frame lane (protocol §5.5) unless disabled; None (and gRPC only) when it cannot listen."""
    if not options.frames:
        return None
    pool = WorkerPool(options.max_workers, logger)
    frames = FrameServer(socket_path + SOCKET_SUFFIX, pipeline, pool, logger, options.max_message_bytes)
    try:
        frames.start()
    except OSError as exc:
        logger.warn("cannot listen on the frame lane; serving calls over gRPC only", socket=frames.path, error=str(exc))
        return None
    return frames


def _shutdown(
    server: grpc.Server,
    frames: Optional[FrameServer],
    health_servicer: health.HealthServicer,
    runtime: PluginRuntime,
    stop: StopRequest,
    logger,
) -> NoReturn:
    """Protocol §11: refuse new calls, let running ones finish within the grace, close resources, exit 0."""
    logger.debug("shutting down", reason=stop.reason, grace_s=stop.grace_s, running_calls=len(runtime.calls))
    end = time.monotonic() + stop.grace_s
    health_servicer.enter_graceful_shutdown()
    if frames is not None:
        frames.stop_accepting()  # from now on call frames are answered PLUGIN_UNAVAILABLE
    done = server.stop(stop.grace_s)
    finished = done.wait(stop.grace_s + 0.5)
    if frames is not None:
        finished = frames.drain(end - time.monotonic()) and finished
    if not finished:
        logger.warn("calls still running after the shutdown grace period; stopping them", running_calls=len(runtime.calls))
    runtime.stop_calls()
    if frames is not None:
        frames.close()
    runtime.close_all_resources()
    sys.stdout.flush()
    sys.stderr.flush()
    # os._exit: step threads that ignore cancellation must not keep the process alive.
    os._exit(0)
