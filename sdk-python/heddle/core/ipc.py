"""Arrow IPC stream encoding and decoding, whole or in ≤ 2 MiB chunks (protocol §5, §8).

Decoding wraps the received bytes without copying them: the columns of a
decoded table point into the message buffer. Encoding writes one IPC stream;
for streaming it keeps record batches small enough that chunks can be cut at
IPC message boundaries, so the receiver may decode batch by batch.
"""

from __future__ import annotations

from typing import Iterable, Iterator, List, Optional, Union

import pyarrow as pa

MAX_CHUNK_BYTES = 2 * 1024 * 1024
"""Largest TableChunk the protocol allows."""


BytesLike = Union[bytes, bytearray, memoryview, pa.Buffer]

# Tables travel uncompressed, so Arrow's thread pool has nothing to parallelise
# here; skipping it saves a thread hand-off on every small call.
_READ_OPTIONS = pa.ipc.IpcReadOptions(use_threads=False)
_WRITE_OPTIONS = pa.ipc.IpcWriteOptions(use_threads=False)


def decode_stream(data: BytesLike) -> pa.Table:
    """Reads one Arrow IPC stream (schema, batches, end marker) without copying `data`.

    Raises pyarrow.ArrowInvalid (or OSError) when the bytes are not a valid stream.
    """
    buffer = data if isinstance(data, pa.Buffer) else pa.py_buffer(data)
    with pa.ipc.open_stream(buffer, options=_READ_OPTIONS) as reader:
        return reader.read_all()


def encode_stream(table: pa.Table) -> pa.Buffer:
    """Writes `table` as one Arrow IPC stream and returns the buffer (no further copy)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=_WRITE_OPTIONS) as writer:
        writer.write_table(table)
    return sink.getvalue()


def encode_schema(schema: Optional[pa.Schema]) -> bytes:
    """An IPC stream holding only `schema` (and the end marker); empty bytes when `schema` is None.

    This is how manifests carry a step's input/output schema.
    """
    if schema is None:
        return b""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema):
        pass
    return sink.getvalue().to_pybytes()


def decode_schema(data: BytesLike) -> Optional[pa.Schema]:
    """The schema of an IPC stream, or None for empty bytes."""
    if not data:
        return None
    buffer = data if isinstance(data, pa.Buffer) else pa.py_buffer(data)
    with pa.ipc.open_stream(buffer) as reader:
        return reader.schema


def _rows_per_batch(table: pa.Table, max_chunk: int) -> int:
    """Rows per record batch so that a batch message takes about half a chunk (room for headers/padding)."""
    if table.num_rows == 0:
        return 1
    bytes_per_row = max(1, table.nbytes // table.num_rows)
    return max(1, (max_chunk // 2) // bytes_per_row)


class ChunkedStream:
    """`table` encoded once as one IPC stream, handed out as consecutive slices of at most `max_chunk` bytes.

    Encoding happens in the constructor, so the caller can drop the table (or
    the input it points into) before sending the slices. Slices end at IPC
    message boundaries whenever a message fits; a single message larger than
    `max_chunk` (a huge row) is cut inside. Joining the slices gives a valid
    IPC stream.
    """

    def __init__(self, table: pa.Table, max_chunk: int = MAX_CHUNK_BYTES) -> None:
        sink = pa.BufferOutputStream()
        boundaries: List[int] = []
        with pa.ipc.new_stream(sink, table.schema, options=_WRITE_OPTIONS) as writer:
            boundaries.append(sink.tell())
            for batch in table.to_batches(max_chunksize=_rows_per_batch(table, max_chunk)):
                writer.write_batch(batch)
                boundaries.append(sink.tell())
        self.buffer = sink.getvalue()
        boundaries.append(self.buffer.size)
        self._cuts = list(_cut_points(boundaries, max_chunk))

    @property
    def size(self) -> int:
        """Total bytes of the stream (the sum of the slices)."""
        return self.buffer.size

    def __iter__(self) -> Iterator[bytes]:
        view = memoryview(self.buffer)
        start = 0
        for end in self._cuts:
            yield bytes(view[start:end])
            start = end


def encode_chunks(table: pa.Table, max_chunk: int = MAX_CHUNK_BYTES) -> Iterator[bytes]:
    """Yields `table` as consecutive slices of one IPC stream, each at most `max_chunk` bytes (see ChunkedStream)."""
    yield from ChunkedStream(table, max_chunk)


def _cut_points(boundaries: List[int], max_chunk: int) -> Iterator[int]:
    """Chunk end offsets: as many whole messages per chunk as fit, splitting only oversize ones."""
    start = 0
    last_fit = 0
    for boundary in boundaries:
        if boundary - start <= max_chunk:
            last_fit = boundary
            continue
        if last_fit > start:
            yield last_fit
            start = last_fit
        while boundary - start > max_chunk:
            start += max_chunk
            yield start
        last_fit = boundary
    if last_fit > start:
        yield last_fit


def join_chunks(chunks: Iterable[BytesLike]) -> bytes:
    """Concatenates received chunk payloads into one IPC stream."""
    return b"".join(chunks)
