"""A frame-lane client written from docs/protocol.md §5.5 alone, as a host would (no SDK code).

It connects to `<HEDDLE_PLUGIN_SOCKET>.frames`, sends the preface, writes call
frames and reads result frames, so the tests check the plugin against the
spec rather than against the SDK's own codec.
"""

from __future__ import annotations

import socket
import struct
from typing import Optional, Tuple

import pyarrow as pa

from heddle.core import ipc
from heddle.plugin.v1 import invoke_pb2

PREFACE = b"HDLFRM01"
PREFIX = struct.Struct("<IB3sI4sQ")  # header_len, kind, 3 zero bytes, call_no, 4 zero bytes, payload_len
KIND_CALL, KIND_RESULT = 1, 2
IO_LIMIT_S = 60.0  # a safety net against a hung test, not a performance assertion


def frames_path(plugin) -> str:
    """Where a started plugin's frame lane listens."""
    return plugin.socket_path + ".frames"


class FrameClient:
    """One connection to a plugin's frame lane. Calls are numbered by the caller or from 1 up."""

    def __init__(self, path: str, preface: bytes = PREFACE) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(IO_LIMIT_S)
        self.sock.connect(path)
        self.next_no = 1
        if preface:
            self.sock.sendall(preface)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "FrameClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writing --------------------------------------------------------------------------

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_call(self, header: invoke_pb2.InvokeHeader, payload: bytes = b"", call_no: Optional[int] = None) -> int:
        """Writes one call frame; returns its call_no."""
        if call_no is None:
            call_no = self.next_no
            self.next_no += 1
        message = header.SerializeToString()
        prefix = PREFIX.pack(len(message), KIND_CALL, b"\0\0\0", call_no, b"\0\0\0\0", len(payload))
        self.sock.sendall(prefix + message)
        if payload:
            self.sock.sendall(payload)
        return call_no

    def send_table(self, header: invoke_pb2.InvokeHeader, table: pa.Table) -> int:
        """A call whose input is `table` in the payload (`input` = streamed with total_bytes)."""
        payload = ipc.encode_stream(table).to_pybytes()
        header.input.streamed.total_bytes = len(payload)
        return self.send_call(header, payload)

    # -- reading --------------------------------------------------------------------------

    def _exact(self, count: int) -> bytes:
        data = bytearray(count)
        view = memoryview(data)
        got = 0
        while got < count:
            n = self.sock.recv_into(view[got:])
            if not n:
                raise ConnectionError(f"the plugin closed the connection ({got} of {count} bytes read)")
            got += n
        return bytes(data)

    def read_result(self) -> Tuple[int, invoke_pb2.InvokeResponse, bytes]:
        """The next result frame: (call_no, response, payload). Asserts the prefix is well formed."""
        header_len, kind, zeros3, call_no, zeros4, payload_len = PREFIX.unpack(self._exact(PREFIX.size))
        assert kind == KIND_RESULT, kind
        assert zeros3 == b"\0\0\0" and zeros4 == b"\0\0\0\0"
        response = invoke_pb2.InvokeResponse.FromString(self._exact(header_len))
        payload = self._exact(payload_len) if payload_len else b""
        return call_no, response, payload

    def call(self, header: invoke_pb2.InvokeHeader, table: Optional[pa.Table] = None) -> Tuple[invoke_pb2.InvokeResponse, bytes]:
        """One call and its result (no other call in flight on this client)."""
        call_no = self.send_table(header, table) if table is not None else self.send_call(header)
        got_no, response, payload = self.read_result()
        assert got_no == call_no, (got_no, call_no)
        return response, payload

    def closed_by_peer(self) -> bool:
        """True when the plugin has closed the connection (reads end-of-file or a reset)."""
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True


def output_of(response: invoke_pb2.InvokeResponse, payload: bytes) -> Optional[pa.Table]:
    """The table a result frame carries in its payload (asserts no error and a consistent `streamed`)."""
    assert not response.HasField("error"), response.error
    kind = response.output.WhichOneof("kind")
    if kind is None:
        assert payload == b""
        return None
    assert kind == "streamed", kind
    assert response.output.streamed.total_bytes == len(payload)
    return ipc.decode_stream(payload)
