"""How tables get into and out of a call: inline, streamed or by shared-memory handle (protocol §5, §8).

The servicer asks this module for a call's input (a `CallInput`, which may hold
a read-only mapping until the call is answered) and to put a call's output
into the response: as a shared-memory segment when the host asked for it
(`shm_output_threshold`) and the output is that large, otherwise inline
(unary) or as chunks (streaming).
"""

from __future__ import annotations

from typing import Iterator, List, Optional

import pyarrow as pa

from ..core import ipc, shm
from ..core.errors import InvalidInputError, InvalidOutputError
from ..plugin.v1 import data_pb2, invoke_pb2
from .options import ServeOptions


class CallInput:
    """One call's input table, plus the segment mapping it reads from (if any) until `close()`."""

    def __init__(self, table: Optional[pa.Table], segment: Optional[shm.MappedSegment] = None) -> None:
        self.table = table
        self.segment = segment

    def close(self) -> None:
        """Drops the table and the mapping: call it once the response is built (protocol §8.3)."""
        self.table = None
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
            return CallInput(_decode(header.input.inline.ipc, header.step))
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
            return CallInput(_decode(header.input.inline.ipc, header.step))
        if kind == "shm":
            return _mapped(header)
        if chunks:
            return CallInput(_decode(ipc.join_chunks(chunks), header.step))
        if kind == "streamed":
            raise InvalidInputError(f"the input of {header.step!r} was announced as streamed but no chunk came", component=header.step)
        return CallInput(None)

    # -- output -------------------------------------------------------------------------------

    def _segment_for(self, output: pa.Table, header: invoke_pb2.InvokeHeader, producer: str) -> Optional[shm.SegmentRef]:
        """Writes `output` into a new segment when the host asked for large outputs by handle and this one is large."""
        threshold = header.shm_output_threshold
        if not threshold or self.writer is None:
            return None  # no shm negotiated here: inline or streamed, as before
        if shm.ipc_file_size(output) < threshold:
            return None
        return self.writer.write(output, component=producer)

    def unary_output(
        self, output: pa.Table, header: invoke_pb2.InvokeHeader, response: invoke_pb2.InvokeResponse, producer: Optional[str] = None
    ) -> None:
        """Puts a unary call's output into `response` (shm or inline) with its stats.

        `producer` is the step that returned `output` (the last stage of a fused call; default the header's step).

        Raises INVALID_OUTPUT when an inline output is over the unary limit, SHM_UNAVAILABLE when a segment cannot be written.
        """
        producer = producer or header.step
        ref = self._segment_for(output, header, producer)
        if ref is not None:
            _set_shm(response, ref)
            return
        encoded = ipc.encode_stream(output)
        if encoded.size > self.options.max_unary_output_bytes:
            raise InvalidOutputError(
                f"step {producer!r} produced {encoded.size} bytes of output, over the "
                f"{self.options.max_unary_output_bytes}-byte limit of a unary call: call it with InvokeStream",
                component=producer,
            )
        inline = response.output.inline
        inline.ipc = encoded.to_pybytes()
        inline.num_rows = output.num_rows
        response.stats.output_rows = output.num_rows
        response.stats.output_bytes = encoded.size

    def stream_output(
        self, output: pa.Table, header: invoke_pb2.InvokeHeader, response: invoke_pb2.InvokeResponse, producer: Optional[str] = None
    ) -> Iterator[data_pb2.TableChunk]:
        """Yields the output chunks of an InvokeStream and fills `response` (no chunks when it went to a segment).

        `producer` is the step that returned `output` (the last stage of a fused call; default the header's step).

        Raises SHM_UNAVAILABLE when a segment cannot be written.
        """
        ref = self._segment_for(output, header, producer or header.step)
        if ref is not None:
            _set_shm(response, ref)
            return
        total = 0
        for chunk in ipc.encode_chunks(output, self.options.max_chunk_bytes):
            total += len(chunk)
            yield data_pb2.TableChunk(data=chunk)
        response.output.streamed.total_bytes = total
        response.stats.output_rows = output.num_rows
        response.stats.output_bytes = total

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
