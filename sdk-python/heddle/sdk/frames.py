"""The frame lane's wire format (protocol §5.5): preface, 24-byte prefix, message, payload.

    offset 0  u32 header_len   length of the protobuf message after the prefix
    offset 4  u8  kind         1 call (host → plugin), 2 result (plugin → host)
    offset 5  3 zero bytes
    offset 8  u32 call_no      the host's number for the call on this connection
    offset 12 u32 zero
    offset 16 u64 payload_len  Arrow IPC stream bytes after the message (may be 0)

All little-endian. `FrameReader` reads frames from a blocking socket with one
`recv` for as many small frames as have arrived, and reads each payload
straight into its own 64-byte-aligned Arrow buffer (large ones with
`recv_into` on that buffer, no intermediate copy). `write_frame` sends a
frame whole, its payload without concatenating it to the prefix when large.
This module only moves bytes; what a frame means is frame_server.py's concern.
"""

from __future__ import annotations

import mmap
import socket
import struct
from typing import Optional, Union

import pyarrow as pa

PREFACE = b"HDLFRM01"
"""The host's first 8 bytes on a connection (framing version 1)."""

KIND_CALL = 1
KIND_RESULT = 2

PREFIX = struct.Struct("<IIIIQ")  # header_len, kind + 3 zero bytes as one u32, call_no, zero u32, payload_len
PREFIX_SIZE = PREFIX.size
MAX_PAYLOAD_BYTES = (1 << 53) - 1
"""payload_len must be below 2^53 (protocol §5.5)."""

_READ_BUFFER_BYTES = 64 * 1024  # small frames are parsed out of this; larger payloads bypass it
_COALESCE_BYTES = 64 * 1024  # payloads up to this size go out in one send with the prefix (one syscall)

Payload = Union[bytes, bytearray, memoryview, pa.Buffer]


class FrameError(Exception):
    """A protocol error (bad preface, unknown kind, non-zero reserved bytes, oversized parts): close the connection."""


class Frame:
    """One received frame: `kind`, `call_no`, the protobuf `message` bytes, and the payload (None when empty)."""

    __slots__ = ("kind", "call_no", "message", "payload")

    def __init__(self, kind: int, call_no: int, message: Union[bytes, bytearray], payload: Optional[pa.Buffer]) -> None:
        self.kind = kind
        self.call_no = call_no
        self.message = message
        self.payload = payload


class FrameReader:
    """Reads the preface and then frames from one connected, blocking socket (one reader thread per socket)."""

    def __init__(self, sock: socket.socket, max_message_bytes: int, expected_kind: int = KIND_CALL) -> None:
        self._sock = sock
        self._max_message = max_message_bytes
        self._expected_kind = expected_kind
        self._buffer = bytearray(_READ_BUFFER_BYTES)
        self._view = memoryview(self._buffer)
        self._start = 0  # buffered, unread bytes are _buffer[_start:_end]
        self._end = 0

    def read_preface(self) -> None:
        """Reads the 8-byte preface. Raises FrameError if it is not `HDLFRM01`, ConnectionError on end-of-file."""
        self._ensure(len(PREFACE))
        got = bytes(self._view[self._start : self._start + len(PREFACE)])
        self._start += len(PREFACE)
        if got != PREFACE:
            raise FrameError(f"the connection began with {got!r}, not the preface {PREFACE!r}")

    def read_frame(self) -> Optional[Frame]:
        """The next frame, or None at end-of-file between frames.

        Raises FrameError for a malformed prefix or a message over the size
        limit, ConnectionError for end-of-file inside a frame, OSError from the
        socket, MemoryError when a payload cannot be allocated.
        """
        if self._end - self._start < PREFIX_SIZE and not self._ensure(PREFIX_SIZE, eof_ok=True):
            return None
        header_len, kind_word, call_no, zero, payload_len = PREFIX.unpack_from(self._buffer, self._start)
        self._start += PREFIX_SIZE
        if kind_word != self._expected_kind or zero:
            if kind_word & 0xFF not in (KIND_CALL, KIND_RESULT):
                raise FrameError(f"frame kind {kind_word & 0xFF} is unknown")
            if kind_word >> 8 or zero:
                raise FrameError("a frame prefix has non-zero reserved bytes")
            raise FrameError(f"frame kind {kind_word} is not expected in this direction")
        if header_len > self._max_message:
            raise FrameError(f"a frame message of {header_len} bytes is over the {self._max_message}-byte limit")
        if payload_len > MAX_PAYLOAD_BYTES:
            raise FrameError(f"a frame payload of {payload_len} bytes is over the 2^53 limit")
        message = self._read_message(header_len)
        payload = self._read_payload(payload_len) if payload_len else None
        return Frame(kind_word, call_no, message, payload)

    # -- internals ------------------------------------------------------------------------

    def _ensure(self, count: int, eof_ok: bool = False) -> bool:
        """Buffers at least `count` (≤ buffer size) bytes; False at a clean end-of-file when `eof_ok`."""
        while self._end - self._start < count:
            if self._start and self._end + (count - (self._end - self._start)) > len(self._buffer):
                # Move the unread tail (part of one frame, under the buffer size) to the front so the rest fits.
                pending = self._end - self._start
                self._buffer[:pending] = bytes(self._view[self._start : self._end])
                self._start, self._end = 0, pending
            elif self._start == self._end:
                self._start = self._end = 0
            received = self._sock.recv_into(self._view[self._end :])
            if not received:
                if eof_ok and self._start == self._end:
                    return False
                raise ConnectionError("the peer closed the connection inside a frame")
            self._end += received
        return True

    def _read_message(self, length: int) -> Union[bytes, bytearray]:
        if length <= len(self._buffer):
            self._ensure(length)
            # A copy (headers are small): reading the payload may reuse the buffer before the message is parsed.
            message = bytes(self._view[self._start : self._start + length])
            self._start += length
            return message
        message = bytearray(length)  # rare: a header with a large inline table
        self._read_into(memoryview(message))
        return message

    def _read_payload(self, length: int) -> pa.Buffer:
        if length >= _HUGE_PAYLOAD_BYTES:
            payload = _huge_buffer(length)
        else:
            payload = pa.allocate_buffer(length)  # Arrow's pool: 64-byte aligned, read in place by the decoder
        self._read_into(memoryview(payload).cast("B"))
        return payload

    def _read_into(self, target: memoryview) -> None:
        """Fills `target`: first from the buffer, then large remainders straight from the socket."""
        filled = min(len(target), self._end - self._start)
        target[:filled] = self._view[self._start : self._start + filled]
        self._start += filled
        while filled < len(target):
            missing = len(target) - filled
            if missing >= len(self._buffer):
                received = self._sock.recv_into(target[filled:])
                if not received:
                    raise ConnectionError("the peer closed the connection inside a frame payload")
                filled += received
                continue
            self._ensure(missing)
            target[filled:] = self._view[self._start : self._start + missing]
            self._start += missing
            filled += missing


# Payloads at least this big get their own mapping with transparent huge pages.
_HUGE_PAYLOAD_BYTES = 8 << 20


def _huge_buffer(length: int) -> pa.Buffer:
    """A fresh anonymous mapping asking for transparent huge pages: faulting in
    200 MB of 4 KiB pages costs ~0.1-0.3 s, 2 MiB pages a fraction of that.
    Page-aligned, so Arrow reads it in place; unmapped when the buffer is freed."""
    mapping = mmap.mmap(-1, length)
    if hasattr(mmap, "MADV_HUGEPAGE"):
        try:
            mapping.madvise(mmap.MADV_HUGEPAGE)
        except OSError:
            pass  # THP disabled: plain pages
    return pa.py_buffer(mapping)


def write_frame(sock: socket.socket, kind: int, call_no: int, message: bytes, payload: Optional[Payload] = None) -> None:
    """Sends one whole frame on a blocking socket; the caller holds the connection's write lock.

    Small payloads go out in one `sendall` with the prefix; large ones with a
    vectored `sendmsg` and then `sendall` of the rest, never copied into a
    new buffer. Raises OSError when the peer is gone.
    """
    payload_len = len(payload) if payload is not None else 0
    head = PREFIX.pack(len(message), kind, call_no, 0, payload_len) + message
    if not payload_len:
        sock.sendall(head)
        return
    if payload_len <= _COALESCE_BYTES:
        sock.sendall(b"".join((head, payload)))  # type: ignore[arg-type]
        return
    body = memoryview(payload).cast("B")  # type: ignore[arg-type]
    sent = sock.sendmsg([head, body])
    if sent < len(head):
        sock.sendall(head[sent:])
        sock.sendall(body)
    elif sent - len(head) < payload_len:
        sock.sendall(body[sent - len(head) :])


def encode_frame(kind: int, call_no: int, message: bytes, payload: bytes = b"") -> bytes:
    """A whole frame as bytes (for peers and tests that build frames; the server writes with `write_frame`)."""
    return PREFIX.pack(len(message), kind, call_no, 0, len(payload)) + message + payload
