"""Starts real plugin processes the way heddle-host does and talks to them over their Unix socket.

Nothing here is mocked: a plugin is a child process with the protocol's
environment, a private short socket folder, stdin/stdout/stderr pipes; calls
go through the generated gRPC client.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional

import grpc
import pyarrow as pa
from grpc_health.v1 import health_pb2_grpc

from heddle.core import ipc
from heddle.plugin.v1 import (
    controller_pb2,
    controller_pb2_grpc,
    data_pb2,
    handshake_pb2,
    invoke_pb2,
    plugin_pb2_grpc,
    resource_pb2,
)

REPO = Path(__file__).resolve().parents[2]
CONFORMANCE_PLUGIN = REPO / "test" / "conformance" / "plugins" / "python"
SECURITY_EXAMPLE = REPO / "examples" / "python" / "security"
TEST_PLUGINS = Path(__file__).resolve().parent / "plugins"
COOKIE = "5c0f6a8e1d2b4c7f9a3e0b6d8c1f2a47"
START_LIMIT_S = 30.0  # a safety net against a hung test, not a performance assertion


class PluginProcess:
    """A plugin child process plus gRPC stubs to its socket. Use `close()` (or a fixture) to clean up."""

    def __init__(self, folder: Path, entry: str, env: Mapping[str, str], tmpdir: str) -> None:
        self.folder = folder
        self.tmpdir = tmpdir
        self.socket_path = env.get("HEDDLE_PLUGIN_SOCKET", "")
        self.proc = subprocess.Popen(
            [sys.executable, entry],
            cwd=str(folder),
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.stdout_lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self.stderr_lines: List[str] = []
        self._readers = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout_lines.put), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr_lines.append), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        self.channel: Optional[grpc.Channel] = None

    @staticmethod
    def _pump(stream: Any, sink: Any) -> None:
        for raw in iter(stream.readline, b""):
            sink(raw.decode("utf-8", "replace").rstrip("\n"))
        sink(None)

    def handshake_line(self) -> str:
        """The first stdout line (waits for it); raises AssertionError if the process ended first."""
        line = self.stdout_lines.get(timeout=START_LIMIT_S)
        assert line is not None, f"plugin exited before its handshake line; stderr: {self.stderr_text()}"
        return line

    def connect(self) -> "PluginProcess":
        """Reads the handshake line and opens the gRPC channel it names."""
        fields = self.handshake_line().split("|")
        assert fields[0] == "HEDDLE" and fields[3] == "unix" and fields[5] == "grpc", fields
        self.channel = grpc.insecure_channel(
            "unix:" + fields[4],
            options=[("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 64 << 20)],
        )
        grpc.channel_ready_future(self.channel).result(timeout=START_LIMIT_S)
        self.plugin = plugin_pb2_grpc.PluginServiceStub(self.channel)
        self.controller = controller_pb2_grpc.ControllerServiceStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)
        return self

    def stderr_text(self) -> str:
        return "\n".join(line for line in self.stderr_lines if line is not None)

    def final_stderr(self) -> str:
        """All of stderr once the process has exited (waits for the reader to drain the pipe)."""
        self._readers[1].join(timeout=START_LIMIT_S)
        return self.stderr_text()

    def json_logs(self) -> List[Dict[str, Any]]:
        """The stderr lines that are protocol JSON log records."""
        records = []
        for line in list(self.stderr_lines):
            if line and line.startswith("{"):
                records.append(json.loads(line))
        return records

    def wait_for_log(self, message: str, attempts: int = 3000, **fields: Any) -> Dict[str, Any]:
        """Polls stderr until a JSON log record with `message` and `fields` appears; returns it."""
        for _ in range(attempts):
            for record in self.json_logs():
                got = record.get("fields", {})
                if record.get("message") == message and all(got.get(k) == v for k, v in fields.items()):
                    return record
            time.sleep(0.01)
        raise AssertionError(f"no log record {message!r} {fields} on stderr:\n{self.stderr_text()}")

    def wait(self, timeout: float = START_LIMIT_S) -> int:
        """Waits for the process to exit and returns its status."""
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        """Stops the process (Shutdown, stdin EOF, then SIGKILL to its group) and removes its folder."""
        if self.channel is not None:
            if self.proc.poll() is None:
                try:
                    self.controller.Shutdown(controller_pb2.ShutdownRequest(grace_ms=200), timeout=5)
                except grpc.RpcError:
                    pass
            self.channel.close()
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()  # end-of-file tells a plugin that its host is gone
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        for reader in self._readers:
            reader.join(timeout=5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        shutil.rmtree(self.tmpdir, ignore_errors=True)


def plugin_env(socket_path: str, **overrides: Optional[str]) -> Dict[str, str]:
    """The environment heddle-host gives a plugin (protocol §2.1); None in overrides removes a variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEDDLE_")}
    env.update(
        HEDDLE_PLUGIN_COOKIE=COOKIE,
        HEDDLE_PLUGIN_PROTOCOL_VERSIONS="1",
        HEDDLE_PLUGIN_SOCKET=socket_path,
        HEDDLE_LOG_LEVEL="info",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def start_plugin(folder: Path, entry: str = "plugin.py", connect: bool = True, **env: Optional[str]) -> PluginProcess:
    """Starts `folder/entry` as heddle-host would (short private socket folder under /tmp)."""
    tmpdir = tempfile.mkdtemp(prefix="hp-", dir="/tmp")
    os.chmod(tmpdir, 0o700)
    environment = plugin_env(os.path.join(tmpdir, "p.sock"), HEDDLE_PLUGIN_DIR=str(folder), **env)
    process = PluginProcess(folder, entry, environment, tmpdir)
    return process.connect() if connect else process


# -- call helpers ------------------------------------------------------------------------


def to_ipc(table: pa.Table) -> bytes:
    return ipc.encode_stream(table).to_pybytes()


def header(step: str, config: Any = None, table: Optional[pa.Table] = None, streamed: bool = False, **fields: Any) -> invoke_pb2.InvokeHeader:
    """An InvokeHeader with a fresh call id (config as a dict or raw JSON text)."""
    config_json = config if isinstance(config, str) else json.dumps(config or {})
    h = invoke_pb2.InvokeHeader(call_id=fields.pop("call_id", uuid.uuid4().hex), step=step, config_json=config_json, **fields)
    if table is not None:
        if streamed:
            h.input.streamed.total_bytes = 0
        else:
            h.input.inline.ipc = to_ipc(table)
            h.input.inline.num_rows = table.num_rows
    return h


def invoke(p: PluginProcess, step: str, config: Any = None, table: Optional[pa.Table] = None, timeout: Optional[float] = 30, **fields: Any) -> invoke_pb2.InvokeResponse:
    """A unary Invoke."""
    return p.plugin.Invoke(invoke_pb2.InvokeRequest(header=header(step, config, table, **fields)), timeout=timeout)


def output_table(response: invoke_pb2.InvokeResponse) -> Optional[pa.Table]:
    """The inline output of a unary response (asserts there is no error)."""
    assert not response.HasField("error"), response.error
    if not response.output.HasField("inline"):
        return None
    return ipc.decode_stream(response.output.inline.ipc)


def invoke_stream(
    p: PluginProcess, step: str, config: Any = None, table: Optional[pa.Table] = None, chunk: int = 1 << 20, **fields: Any
) -> "tuple[Optional[pa.Table], invoke_pb2.InvokeResponse, int]":
    """An InvokeStream; returns (output table or None, final result, number of output chunks)."""

    def requests() -> Iterator[invoke_pb2.InvokeStreamRequest]:
        yield invoke_pb2.InvokeStreamRequest(header=header(step, config, table, streamed=table is not None, **fields))
        if table is not None:
            for piece in ipc.encode_chunks(table, chunk):
                yield invoke_pb2.InvokeStreamRequest(chunk=data_pb2.TableChunk(data=piece))

    chunks: List[bytes] = []
    result = None
    for message in p.plugin.InvokeStream(requests(), timeout=60):
        if message.WhichOneof("msg") == "chunk":
            assert result is None, "chunk after result"
            assert len(message.chunk.data) <= 2 * 1024 * 1024
            chunks.append(message.chunk.data)
        else:
            result = message.result
    assert result is not None
    table_out = ipc.decode_stream(b"".join(chunks)) if chunks else None
    return table_out, result, len(chunks)


def open_resource(p: PluginProcess, kind: str, config: Any = None) -> resource_pb2.OpenResourceResponse:
    return p.plugin.OpenResource(resource_pb2.OpenResourceRequest(resource=kind, config_json=json.dumps(config or {})), timeout=30)


def handshake(p: PluginProcess, versions: List[int] = [1], capabilities: List[str] = ["streaming", "cancel", "commands", "shm"]) -> Any:
    return p.plugin.Handshake(
        handshake_pb2.HandshakeRequest(protocol_versions=versions, host_name="pytest", host_version="0", capabilities=capabilities),
        timeout=30,
    )


def error_name(error: Any) -> str:
    """The stable name of a proto Error's code (without the ERROR_CODE_ prefix)."""
    from heddle.plugin.v1 import errors_pb2

    return errors_pb2.ErrorCode.Name(error.code).removeprefix("ERROR_CODE_")
