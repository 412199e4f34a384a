"""Test helpers for shared-memory segments: a private tmpfs folder, writing and mapping Arrow IPC files.

What a host does with segments, done for real: files under /dev/shm, written
with pyarrow's IPC file writer, mapped with `pa.memory_map`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Iterator

import numpy as np
import pyarrow as pa

from heddle.plugin.v1 import data_pb2

SHM_ROOT = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()


def make_shm_dir() -> str:
    """A fresh private (0700) folder on tmpfs, as the host creates for HEDDLE_SHM_DIR."""
    directory = tempfile.mkdtemp(prefix="heddle-pytest-", dir=SHM_ROOT)
    os.chmod(directory, 0o700)
    return directory


def remove_dir(directory: str) -> None:
    shutil.rmtree(directory, ignore_errors=True)


def write_ipc_file(path: str, table: pa.Table, offset: int = 0) -> data_pb2.SharedMemoryRef:
    """Writes `table` as an Arrow IPC file at `offset` of `path` (zero bytes before it) and returns its handle."""
    if offset:
        # The footer records block offsets from the IPC file's own start, so build it apart, then place it.
        buffer = pa.BufferOutputStream()
        with pa.ipc.new_file(buffer, table.schema) as writer:
            writer.write_table(table)
        data = buffer.getvalue()
        with pa.OSFile(path, "wb") as sink:
            sink.write(b"\0" * offset)
            sink.write(data)
        length = data.size
    else:
        with pa.OSFile(path, "wb") as sink:
            with pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            length = sink.tell()
    segment_id = os.path.basename(path).removesuffix(".arrow")
    return data_pb2.SharedMemoryRef(segment_id=segment_id, path=path, offset=offset, length=length, num_rows=table.num_rows)


def write_raw(path: str, data: bytes, length: int = -1, segment_id: str = "test-raw") -> data_pb2.SharedMemoryRef:
    """Writes arbitrary bytes and returns a handle claiming `length` bytes (default: all of them)."""
    with open(path, "wb") as out:
        out.write(data)
    return data_pb2.SharedMemoryRef(segment_id=segment_id, path=path, offset=0, length=len(data) if length < 0 else length, num_rows=1)


def read_segment(ref: data_pb2.SharedMemoryRef) -> pa.Table:
    """Maps a produced segment read-only and reads its table (as a consumer would)."""
    with pa.memory_map(ref.path, "r") as mapped:
        mapped.seek(ref.offset)
        return pa.ipc.open_file(mapped.read_buffer(ref.length)).read_all()


def sample_table(rows: int = 5) -> pa.Table:
    return pa.table({"id": pa.array(range(rows), pa.int64()), "name": pa.array([f"n{i}" for i in range(rows)])})


def large_table(min_bytes: int) -> pa.Table:
    """A table of at least `min_bytes` buffer bytes (int64 ids and float64 values), built without Python loops."""
    rows = min_bytes // 16 + 1
    ids = np.arange(rows, dtype=np.int64)
    return pa.table({"id": ids, "value": ids.astype(np.float64) * 0.5})


def maps_of(pid: int) -> Iterator[str]:
    """The file paths a process has mapped right now (from /proc/<pid>/maps)."""
    with open(f"/proc/{pid}/maps") as maps:
        for line in maps:
            parts = line.split(maxsplit=5)
            if len(parts) == 6:
                yield parts[5].strip().removesuffix(" (deleted)")
