"""How tables get into and out of a call: inline, streamed or by shared-memory handle (protocol §5, §8).

Each lane asks this module for a call's input (a `CallInput`, which may hold
a read-only mapping until the call is answered) and to put a call's output
into the response: as a shared-memory segment when the host asked for it
(`shm_output_threshold`) and the output is that large, otherwise inline
(unary), as chunks (streaming) or as the payload of a result frame (§5.5).
An output that is the very input table (an echo-like step or chain) is sent
as the IPC bytes it arrived in, without encoding it again, or, when it came by
handle and the host asked for outputs by handle, as that same handle (§8.2
"Pass-through"): no new segment, no byte copied.
"""

from __future__ import annotations

from typing import Iterator, List, Optional

import pyarrow as pa

from ..core import ipc, shm
from ..core.ipc import BytesLike
from ..core.errors import InvalidInputError, InvalidOutputError
from ..plugin.v1 import data_pb2, invoke_pb2
from .options import ServeOptions


class CallInput:
    """One call's input table, plus the segment mapping it reads from (if any) until `close()`.

    `ipc` is the Arrow IPC stream the table was decoded from (None for shm or
    no input): an output that is this very table is sent as these bytes.
    """

    __slots__ = ("table", "segment", "ipc")

    def __init__(self, table: Optional[pa.Table], segment: Optional[shm.MappedSegment] = None, ipc: Optional[BytesLike] = None) -> None:
        self.table = table
        self.segment = segment
        self.ipc = ipc

    def encoded(self, output: pa.Table) -> Optional[BytesLike]:
        """The input's IPC bytes when `output` is the input table itself (unchanged), else None."""
        return self.ipc if (self.ipc is not None and output is self.table) else None

    def lent(self, output: pa.Table) -> Optional[shm.SegmentRef]:
        """The handle the input came by when `output` is the input table itself (unchanged), else None.

        Identity, not equality: only a table that is the mapped one (an echo, or
        a fused chain whose stages all returned what they got) is known to be
        exactly the bytes of the segment, without reading them.
        """
        return self.segment.ref if (self.segment is not None and output is self.table) else None

    def close(self) -> None:
        """Drops the table and the mapping: call it once the response is built (protocol §8.3)."""
        self.table = None
        self.ipc = None
        if self.segment is not None:
            self.segment.close()
            self.segment = None

    def __enter__(self) -> "CallInput":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class DataPlane:
    """Per-process data-plane state: the options and, when `HEDDLE_SHM_DIR` is usable, the segment writer."""

    def __init__(self, options: ServeOptions, shm_dir: Optional[str]) -> None:
        self.options = options
        self.writer = shm.SegmentWriter(shm_dir) if shm_dir else None

    @property
    def shm_available(self) -> bool:
        """True when this process can produce segments, hence may advertise `shm`."""
        return self.writer is not None

    # -- input --------------------------------------------------------------------------------

    def unary_input(self, header: invoke_pb2.InvokeHeader) -> CallInput:
        """The input of a unary Invoke: none, inline or shm.

        Raises INVALID_INPUT (undecodable inline bytes, a streamed input), or the
        segment errors of `shm.MappedSegment`.
        """
        kind = header.input.WhichOneof("kind")
        if kind is None:
            return CallInput(None)
        if kind == "inline":
            return _inline(header)
        if kind == "shm":
            return _mapped(header)
        raise InvalidInputError("a unary Invoke cannot carry a streamed input: use InvokeStream", component=header.step)

    def streamed_input(self, header: invoke_pb2.InvokeHeader, request_iterator: Iterator[invoke_pb2.InvokeStreamRequest]) -> CallInput:
        """The input of an InvokeStream: reads the rest of the request stream, then decodes.

        Raises INVALID_INPUT (a second header, undecodable chunks, `streamed`
        without chunks) or the segment errors of `shm.MappedSegment`.
        """
        chunks: List[bytes] = []
        for message in request_iterator:
            if message.WhichOneof("msg") != "chunk":
                raise InvalidInputError("InvokeStream got a second header: send exactly one header, then chunks", component=header.step)
            chunks.append(message.chunk.data)
        kind = header.input.WhichOneof("kind")
        if kind == "inline":
            return _inline(header)
        if kind == "shm":
            return _mapped(header)
        if chunks:
            return CallInput(_decode(ipc.join_chunks(chunks), header.step))
        if kind == "streamed":
            raise InvalidInputError(f"the input of {header.step!r} was announced as streamed but no chunk came", component=header.step)
        return CallInput(None)

    def frame_input(self, header: invoke_pb2.InvokeHeader, payload: Optional[pa.Buffer]) -> CallInput:
        """The input of a call frame (§5.5): inline, shm, or the frame's payload, decoded in place.

        Raises INVALID_INPUT (undecodable bytes, a payload the header does not
        announce as `streamed`, `streamed` with no payload) or the segment
        errors of `shm.MappedSegment`.
        """
        kind = header.input.WhichOneof("kind")
        has_payload = payload is not None and payload.size > 0
        if has_payload and kind != "streamed":
            raise InvalidInputError(
                f"the call frame of {header.step!r} carries a payload but its header announces the input as {kind or 'absent'}: "
                "send the input as header.input.streamed with the IPC bytes as payload",
                component=header.step,
            )
        if kind == "inline":
            return _inline(header)
        if kind == "shm":
            return _mapped(header)
        if has_payload:
            return CallInput(_decode(payload, header.step), ipc=payload)
        if kind == "streamed":
            raise InvalidInputError(
                f"the input of {header.step!r} was announced as streamed but the call frame has no payload", component=header.step
            )
        return CallInput(None)

    # -- output -------------------------------------------------------------------------------

    def _segment_for(
        self, output: pa.Table, header: invoke_pb2.InvokeHeader, producer: str, source: Optional[CallInput]
    ) -> Optional[shm.SegmentRef]:
        """The segment to answer with when the host asked for large outputs by handle and this one is large, else None.

        An unchanged input that came by handle goes back as that handle (§8.2
        "Pass-through"; `num_rows` of the table): the host recognises the segment
        it lent. Otherwise a large output is written into a new segment.
        Raises SHM_UNAVAILABLE when a segment cannot be written.
        """
        threshold = header.shm_output_threshold
        if not threshold or self.writer is None:
            return None  # no shm negotiated here: inline or streamed, as before
        lent = source.lent(output) if source is not None else None
        if lent is not None:
            # The segment's length is the output's exact IPC file size: no need to measure it again.
            if lent.length < threshold:
                return None
            return shm.SegmentRef(lent.segment_id, lent.path, lent.offset, lent.length, output.num_rows)
        if shm.ipc_file_size(output) < threshold:
            return None
        return self.writer.write(output, component=producer)

    def unary_output(
        self,
        output: pa.Table,
        header: invoke_pb2.InvokeHeader,
        response: invoke_pb2.InvokeResponse,
        producer: Optional[str] = None,
        source: Optional[CallInput] = None,
    ) -> None:
        """Puts a unary call's output into `response` (shm or inline) with its stats.

        `producer` is the step that returned `output` (the last stage of a fused call; default the header's step).
        `source` is the call's input: when `output` is that very table, its handle is passed through
        (shm asked for and the input came by handle, §8.2) or its IPC bytes are reused.

        Raises INVALID_OUTPUT when an inline output is over the unary limit, SHM_UNAVAILABLE when a segment cannot be written.
        """
        producer = producer or header.step
        ref = self._segment_for(output, header, producer, source)
        if ref is not None:
            _set_shm(response, ref)
            return
        encoded = _encoded(output, source)
        size = len(encoded)
        if size > self.options.max_unary_output_bytes:
            raise InvalidOutputError(
                f"step {producer!r} produced {size} bytes of output, over the "
                f"{self.options.max_unary_output_bytes}-byte limit of a unary call: call it with InvokeStream",
                component=producer,
            )
        inline = response.output.inline
        inline.ipc = encoded if isinstance(encoded, bytes) else bytes(encoded)
        inline.num_rows = output.num_rows
        response.stats.output_rows = output.num_rows
        response.stats.output_bytes = size

    def frame_output(
        self,
        output: pa.Table,
        header: invoke_pb2.InvokeHeader,
        response: invoke_pb2.InvokeResponse,
        producer: str,
        source: Optional[CallInput] = None,
    ) -> Optional[BytesLike]:
        """Fills `response` for a result frame (§5.5) and returns the payload to send after it (None for shm).

        The payload is the IPC stream as one buffer, never copied into the
        response; there is no size limit. `source` as in `unary_output`.
        Raises SHM_UNAVAILABLE when a segment cannot be written.
        """
        ref = self._segment_for(output, header, producer, source)
        if ref is not None:
            _set_shm(response, ref)
            return None
        encoded = _encoded(output, source)
        size = len(encoded)
        response.output.streamed.total_bytes = size
        response.stats.output_rows = output.num_rows
        response.stats.output_bytes = size
        return encoded

    def stream_output(
        self,
        output: pa.Table,
        header: invoke_pb2.InvokeHeader,
        response: invoke_pb2.InvokeResponse,
        producer: Optional[str] = None,
        source: Optional[CallInput] = None,
    ) -> Iterator[data_pb2.TableChunk]:
        """Fills `response` for an InvokeStream and returns its output chunks (none when it went to a segment).

        The output is encoded here, at once, so the chunks may be sent after
        the input mapping is gone. `producer` is the step that returned `output`
        (the last stage of a fused call; default the header's step). `source` is
        the call's input: when `output` is that very table and it came by
        handle, the handle is passed through (§8.2).

        Raises SHM_UNAVAILABLE when a segment cannot be written.
        """
        ref = self._segment_for(output, header, producer or header.step, source)
        if ref is not None:
            _set_shm(response, ref)
            return iter(())
        stream = ipc.ChunkedStream(output, self.options.max_chunk_bytes)
        response.output.streamed.total_bytes = stream.size
        response.stats.output_rows = output.num_rows
        response.stats.output_bytes = stream.size
        return (data_pb2.TableChunk(data=chunk) for chunk in stream)

    # -- release ------------------------------------------------------------------------------

    def release(self, segment_ids: List[str]) -> int:
        """Forgets produced segments the host freed; returns how many this process knew."""
        return self.writer.release(segment_ids) if self.writer is not None else 0


def _set_shm(response: invoke_pb2.InvokeResponse, ref: shm.SegmentRef) -> None:
    target = response.output.shm
    target.segment_id = ref.segment_id
    target.path = ref.path
    target.offset = ref.offset
    target.length = ref.length
    target.num_rows = ref.num_rows
    response.stats.output_rows = ref.num_rows
    response.stats.output_bytes = ref.length


def _encoded(output: pa.Table, source: Optional[CallInput]) -> BytesLike:
    reused = source.encoded(output) if source is not None else None
    return reused if reused is not None else ipc.encode_stream(output)


def _inline(header: invoke_pb2.InvokeHeader) -> CallInput:
    data = header.input.inline.ipc
    return CallInput(_decode(data, header.step), ipc=data)


def _mapped(header: invoke_pb2.InvokeHeader) -> CallInput:
    ref = header.input.shm
    segment = shm.MappedSegment(shm.SegmentRef(ref.segment_id, ref.path, ref.offset, ref.length, ref.num_rows), component=header.step)
    return CallInput(segment.table, segment)


def _decode(data: bytes, step: str) -> pa.Table:
    try:
        return ipc.decode_stream(data)
    except Exception as exc:
        raise InvalidInputError(
            f"the input of {step!r} is not a valid Arrow IPC stream ({exc}); send Arrow IPC stream bytes",
            component=step,
        ) from None
