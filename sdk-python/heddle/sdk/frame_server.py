"""The frame lane's server (protocol §5.5): Invoke over `HEDDLE_PLUGIN_SOCKET.frames`, without gRPC.

One thread accepts connections; each connection has one reader thread that
checks the preface, reads whole frames (frames.py) and hands each call to a
persistent WorkerPool, so a slow step never stops it reading the next frame
and results go back in whatever order calls finish. A call whose steps all
answered within 1 ms their last 8 runs, with a small input, runs on the
reader thread itself (pace.py): no hand-off, no GIL transfer. Workers run the call
through the same InvokePipeline as gRPC Invoke (checks, fused stages, shm,
the call registry that ControllerService.Cancel reaches, logging) and write
the result frame whole under the connection's write lock.

A malformed frame or preface closes the connection, cancelling its calls in
flight (their results could no longer be delivered). Shutdown: stop
accepting, answer new call frames PLUGIN_UNAVAILABLE, let calls in flight
finish within the grace (`drain`), then `close` every connection.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from typing import Optional, Set

import pyarrow as pa
from google.protobuf.message import DecodeError

from ..core.context import CANCELLED, StepContext
from ..core.logger import Logger
from ..plugin.v1 import invoke_pb2
from .dataplane import CallInput, DataPlane
from .frames import KIND_RESULT, Frame, FrameError, FrameReader, Payload, write_frame
from .invoke import InvokePipeline, Lane
from .proto_errors import error_to_proto, internal_error, unavailable_error
from .workers import WorkerPool

SOCKET_SUFFIX = ".frames"
"""The frame lane listens on HEDDLE_PLUGIN_SOCKET plus this suffix."""

SMALL_PAYLOAD = 64 * 1024
"""Inputs up to this size may run on the reader thread (pace.py)."""


class FrameServer:
    """Listens on one Unix socket path and serves frame-lane connections until closed. Thread-safe."""

    def __init__(self, path: str, pipeline: InvokePipeline, pool: WorkerPool, logger: Logger, max_message_bytes: int) -> None:
        self.path = path
        self.pipeline = pipeline
        self.pool = pool
        self.logger = logger
        self.max_message_bytes = max_message_bytes
        self.refusing = False  # set at shutdown: new call frames get PLUGIN_UNAVAILABLE
        self._listener: Optional[socket.socket] = None
        self._connections: Set[_Connection] = set()
        self._numbers = itertools.count(1)
        self._in_flight = 0
        self._idle = threading.Condition()

    def start(self) -> None:
        """Removes a stale file at `path`, listens there and starts accepting. Raises OSError when it cannot listen."""
        if os.path.lexists(self.path):
            os.unlink(self.path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(self.path)
            listener.listen(64)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), name="heddle-frames-accept", daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:
                return  # stop_accepting shut the listener down
            if self.refusing:
                sock.close()
                continue
            connection = _Connection(self, sock, next(self._numbers))
            with self._idle:
                self._connections.add(connection)
            threading.Thread(target=connection.serve, name=f"heddle-frames-conn-{connection.number}", daemon=True).start()

    # -- shutdown -------------------------------------------------------------------------

    def stop_accepting(self) -> None:
        """Refuses new connections and answers new call frames PLUGIN_UNAVAILABLE; calls in flight go on."""
        with self._idle:  # under the lock: a call is either admitted before this (and drained) or refused
            self.refusing = True
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            except OSError:
                pass
            listener.close()
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def drain(self, timeout_s: float) -> bool:
        """Waits until no call is in flight, at most `timeout_s`; True when none is."""
        end = time.monotonic() + max(0.0, timeout_s)
        with self._idle:
            while self._in_flight:
                left = end - time.monotonic()
                if left <= 0 or not self._idle.wait(left):
                    return self._in_flight == 0
            return True

    def close(self) -> None:
        """Closes every connection (their calls still running are cancelled)."""
        with self._idle:
            connections = list(self._connections)
        for connection in connections:
            connection.close()

    @property
    def in_flight(self) -> int:
        """Calls read and not yet answered, over all connections."""
        return self._in_flight

    # -- bookkeeping used by connections -------------------------------------------------

    def _admit(self) -> bool:
        """Counts a new call in flight; False (not counted) once shutting down."""
        with self._idle:
            if self.refusing:
                return False
            self._in_flight += 1
            return True

    def _call_ended(self) -> None:
        with self._idle:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.notify_all()

    def _forget(self, connection: "_Connection") -> None:
        with self._idle:
            self._connections.discard(connection)


class _FrameLane(Lane):
    """A call frame: input in the payload (or inline/shm), deadline from timeout_ms, output as the result's payload."""

    __slots__ = ("connection", "payload", "received", "output", "ctx")

    def __init__(self, connection: "_Connection", payload: Optional[pa.Buffer], received: float) -> None:
        self.connection = connection
        self.payload = payload
        self.received = received  # time.monotonic() when the frame was read: timeout_ms counts from about then
        self.output: Optional[Payload] = None
        self.ctx: Optional[StepContext] = None

    def timeout_s(self, header: invoke_pb2.InvokeHeader) -> Optional[float]:
        if not header.timeout_ms:
            return None
        return max(0.0, header.timeout_ms / 1000.0 - (time.monotonic() - self.received))

    def read_input(self, data: DataPlane, header: invoke_pb2.InvokeHeader) -> CallInput:
        payload, self.payload = self.payload, None  # from here the CallInput (and the table) hold it
        return data.frame_input(header, payload)

    def watch(self, ctx: StepContext) -> None:
        self.ctx = ctx
        self.connection.watch(ctx)

    def put_output(
        self,
        data: DataPlane,
        output: pa.Table,
        header: invoke_pb2.InvokeHeader,
        response: invoke_pb2.InvokeResponse,
        producer: str,
        call_input: CallInput,
    ) -> None:
        self.output = data.frame_output(output, header, response, producer, source=call_input)


class _Connection:
    """One host connection: its reader thread, its write lock and the contexts of its calls in flight."""

    def __init__(self, server: FrameServer, sock: socket.socket, number: int) -> None:
        self.server = server
        self.sock = sock
        self.number = number
        self.closed = False
        self._write_lock = threading.Lock()
        self._contexts: Set[StepContext] = set()

    def serve(self) -> None:
        """The reader thread: preface, then frames until end-of-file, a protocol error or close()."""
        logger = self.server.logger
        reader = FrameReader(self.sock, self.server.max_message_bytes)
        logger.debug("frame lane connection opened", connection=self.number)
        try:
            reader.read_preface()
            while True:
                frame = reader.read_frame()
                if frame is None:
                    break
                self._dispatch(frame)
        except FrameError as exc:
            logger.warn("frame lane protocol error; closing the connection", connection=self.number, error=str(exc))
        except MemoryError:
            logger.error("a frame payload does not fit in memory; closing the connection", connection=self.number)
        except OSError as exc:  # ConnectionError included: the host went away mid-frame, or close() shut us down
            if not self.closed:
                logger.debug("frame lane connection failed", connection=self.number, error=str(exc))
        finally:
            self._finish()
        logger.debug("frame lane connection closed", connection=self.number)

    def _dispatch(self, frame: Frame) -> None:
        try:
            header = invoke_pb2.InvokeHeader.FromString(frame.message)
        except DecodeError as exc:
            raise FrameError(f"call {frame.call_no}: the message is not an InvokeHeader ({exc})") from None
        if not self.server._admit():
            self._refuse(frame.call_no, header)
            return
        if self._quick(header, frame.payload):
            # Steps that answered quickly of late run here, with no hand-off to a worker (pace.py).
            # Should one turn slow, the frames behind it wait for it; it then loses the trust.
            self._run(frame.call_no, header, frame.payload, time.monotonic())
            return
        try:
            self.server.pool.submit(self._run, frame.call_no, header, frame.payload, time.monotonic())
        except RuntimeError as exc:  # no thread can run it: answer rather than leave the host waiting
            self.server._call_ended()
            error = internal_error(exc, header.step)
            response = invoke_pb2.InvokeResponse(error=error_to_proto(error, self.server.pipeline.namespace))
            self.send(frame.call_no, response.SerializeToString())

    def _quick(self, header: invoke_pb2.InvokeHeader, payload: Optional[pa.Buffer]) -> bool:
        """A call of trusted steps with a small input given in the frame (not by handle)."""
        if (payload is not None and payload.size > SMALL_PAYLOAD) or header.input.WhichOneof("kind") == "shm":
            return False
        steps = [header.step]
        steps.extend(stage.step for stage in header.then)
        return self.server.pipeline.runtime.pace.trusted(steps)

    def _run(self, call_no: int, header: invoke_pb2.InvokeHeader, payload: Optional[pa.Buffer], received: float) -> None:
        """A worker: runs the call and writes its result frame (dropped if the connection is gone)."""
        try:
            lane = _FrameLane(self, payload, received)
            del payload
            response = self.server.pipeline.invoke(header, lane)
            if lane.ctx is not None:
                self._contexts.discard(lane.ctx)
            output = None if response.HasField("error") else lane.output
            self.send(call_no, response.SerializeToString(), output)
        finally:
            self.server._call_ended()

    def _refuse(self, call_no: int, header: invoke_pb2.InvokeHeader) -> None:
        namespace = self.server.pipeline.namespace
        error = unavailable_error(
            f"plugin {namespace!r} is shutting down and takes no new calls; send the call to another process",
            component=f"{namespace}.{header.step}" if header.step else namespace,
        )
        self.send(call_no, invoke_pb2.InvokeResponse(error=error).SerializeToString())

    def send(self, call_no: int, message: bytes, payload: Optional[Payload] = None) -> None:
        """Writes one result frame whole; a failed write closes the connection (the host is gone)."""
        with self._write_lock:
            if self.closed:
                return
            try:
                write_frame(self.sock, KIND_RESULT, call_no, message, payload)
                return
            except OSError as exc:
                self.server.logger.debug("frame lane write failed; closing the connection", connection=self.number, error=str(exc))
        self.close()

    def watch(self, ctx: StepContext) -> None:
        """Registers a running call's context so that losing the connection cancels it."""
        self._contexts.add(ctx)
        if self.closed:
            ctx.cancel(CANCELLED)

    def close(self) -> None:
        """Shuts the socket down (the reader thread then ends and releases it); idempotent, any thread."""
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the reader's recv and any blocked send
        except OSError:
            pass

    def _finish(self) -> None:
        self.close()
        for ctx in list(self._contexts):
            ctx.cancel(CANCELLED)  # nobody can receive these results any more
        with self._write_lock:  # no worker is inside a write once we hold it
            self.sock.close()
        self.server._forget(self)
