"""Unit: IPC streams encode, decode and chunk at ≤ 2 MiB on message boundaries."""

import pyarrow as pa
import pytest

from heddle.core import ipc


def _table(rows):
    return pa.table({"id": pa.array(range(rows), pa.int64()), "s": pa.array([f"row-{i}" for i in range(rows)])})


def test_round_trip():
    table = _table(10)
    assert ipc.decode_stream(ipc.encode_stream(table)).equals(table)
    assert ipc.decode_stream(ipc.encode_stream(table).to_pybytes()).equals(table)


def test_chunks_are_bounded_and_join_into_the_stream():
    table = _table(300_000)
    chunks = list(ipc.encode_chunks(table))
    assert len(chunks) > 1 and all(0 < len(c) <= ipc.MAX_CHUNK_BYTES for c in chunks)
    assert ipc.decode_stream(ipc.join_chunks(chunks)).equals(table)


def test_chunks_end_on_message_boundaries():
    table = _table(100_000)
    chunks = list(ipc.encode_chunks(table, max_chunk=256 * 1024))
    received = b""
    for chunk in chunks[:-1]:
        received += chunk
        # every prefix made of whole chunks is a readable sequence of IPC messages
        reader = pa.ipc.open_stream(pa.py_buffer(received + b"\xff\xff\xff\xff\x00\x00\x00\x00"))
        reader.read_all()


def test_a_message_larger_than_a_chunk_is_cut_inside():
    table = pa.table({"blob": pa.array([b"x" * (5 * 1024 * 1024)], pa.binary())})
    chunks = list(ipc.encode_chunks(table, max_chunk=1024 * 1024))
    assert len(chunks) >= 5 and all(len(c) <= 1024 * 1024 for c in chunks)
    assert ipc.decode_stream(ipc.join_chunks(chunks)).equals(table)


def test_empty_table_still_has_a_schema():
    table = _table(0)
    assert ipc.decode_stream(ipc.join_chunks(ipc.encode_chunks(table))).schema == table.schema


def test_schema_only_stream():
    schema = pa.schema([("a", pa.int32())])
    assert ipc.decode_schema(ipc.encode_schema(schema)) == schema
    assert ipc.encode_schema(None) == b"" and ipc.decode_schema(b"") is None


def test_garbage_does_not_decode():
    with pytest.raises((pa.ArrowInvalid, OSError)):
        ipc.decode_stream(b"not an arrow stream at all")
