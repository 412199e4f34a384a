"""Shared-memory tables (protocol §8): read a segment in place, write an output into a new one.

Consuming maps the segment file read-only (`pa.memory_map`) and reads the Arrow
IPC file straight out of the mapping: the columns of the table point into the
mapped pages, nothing is copied. The mapping is released when the call ends
(`MappedSegment.close()` drops the file; the pages go when the last buffer
that points into them is freed, so a stray reference can never read unmapped
memory).

Producing writes the output once, as an Arrow IPC file, straight from the
table's buffers into `$HEDDLE_SHM_DIR/<pid>-<counter>.arrow`, closes it and
hands it over: from then on the host owns the file and unlinks it.
"""

from __future__ import annotations

import itertools
import mmap
import os
import threading
from dataclasses import dataclass
from typing import Dict, Iterable, Mapping, Optional

import pyarrow as pa

from .errors import SegmentInvalidError, SegmentNotFoundError, ShmUnavailableError

SHM_DIR_VARIABLE = "HEDDLE_SHM_DIR"
"""The environment variable naming the tmpfs directory for segments (protocol §2.1)."""

SEGMENT_ALIGNMENT = 64
"""A segment's IPC file starts at a multiple of this offset (protocol §8.1)."""

ARROW_MAGIC = b"ARROW1"
_MIN_FILE_BYTES = 2 * len(ARROW_MAGIC) + 4  # leading magic, footer length, trailing magic

# Uncompressed tables: Arrow's thread pool would only add a hand-off per call.
_READ_OPTIONS = pa.ipc.IpcReadOptions(use_threads=False)
_WRITE_OPTIONS = pa.ipc.IpcWriteOptions(use_threads=False)


def usable_shm_dir(env: Mapping[str, str] = os.environ) -> Optional[str]:
    """`HEDDLE_SHM_DIR` when it is set and a writable directory, else None (then `shm` is not offered)."""
    directory = env.get(SHM_DIR_VARIABLE, "")
    if directory and os.path.isdir(directory) and os.access(directory, os.W_OK | os.X_OK):
        return directory
    return None


@dataclass(frozen=True)
class SegmentRef:
    """Where a table lives in shared memory: the fields of the protocol's `SharedMemoryRef`."""

    segment_id: str
    path: str
    offset: int
    length: int
    num_rows: int


class MappedSegment:
    """A segment mapped read-only for one call, with its table read in place.

    Use as a context manager (or call `close()`): the mapping must not outlive
    the call (protocol §8.3).
    """

    def __init__(self, ref: SegmentRef, component: Optional[str] = None) -> None:
        """Maps `ref` and reads its table without copying.

        Raises SEGMENT_NOT_FOUND (no such file), SHM_UNAVAILABLE (the file cannot
        be opened here) or SEGMENT_INVALID (misaligned offset, file shorter than
        offset+length, no ARROW1 magic, or bytes that do not decode).
        """
        self.ref = ref
        self._mapping: Optional[mmap.mmap] = None
        _check_bounds(ref, component)
        self._mapping = _map(ref, component)
        try:
            self.table = _read_table(pa.py_buffer(self._mapping), ref, component)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Releases the mapping held for the call (idempotent).

        Arrow buffers of the table that are still referenced keep the mapping
        alive; it is unmapped when the last of them goes.
        """
        if self._mapping is not None:
            mapping, self._mapping = self._mapping, None
            self.table = None  # type: ignore[assignment]
            try:
                mapping.close()
            except BufferError:
                pass  # still exported to live Arrow buffers: unmapped when they are freed

    def __enter__(self) -> "MappedSegment":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _invalid(ref: SegmentRef, problem: str, component: Optional[str]) -> SegmentInvalidError:
    return SegmentInvalidError(
        f"shared-memory segment {ref.segment_id!r} ({ref.path}) {problem}; the producer must write a complete "
        "Arrow IPC file at a 64-byte-aligned offset and pass its exact offset and length",
        component=component,
    )


def _check_bounds(ref: SegmentRef, component: Optional[str]) -> None:
    try:
        size = os.stat(ref.path).st_size
    except FileNotFoundError:
        raise SegmentNotFoundError(
            f"shared-memory segment {ref.segment_id!r} does not exist at {ref.path}: it was freed or never "
            "created; produce the table again",
            component=component,
        ) from None
    except OSError as exc:
        raise ShmUnavailableError(f"cannot read shared-memory segment {ref.segment_id!r} at {ref.path}: {exc}", component=component) from None
    if ref.offset % SEGMENT_ALIGNMENT:
        raise _invalid(ref, f"starts at offset {ref.offset}, which is not a multiple of {SEGMENT_ALIGNMENT}", component)
    if ref.length < _MIN_FILE_BYTES:
        raise _invalid(ref, f"is {ref.length} bytes long, too short for an Arrow IPC file", component)
    if size < ref.offset + ref.length:
        raise _invalid(ref, f"is truncated: the file has {size} bytes, the handle needs {ref.offset + ref.length}", component)


def _map(ref: SegmentRef, component: Optional[str]) -> mmap.mmap:
    # Python's mmap, not pa.memory_map: Arrow's memory-mapped file advises the
    # kernel WILLNEED on every read, ~0.7 ms for a 1 GiB segment; a plain
    # read-only mapping read through a buffer is ~30 µs whatever the size.
    try:
        fd = os.open(ref.path, os.O_RDONLY)
    except FileNotFoundError:
        raise SegmentNotFoundError(
            f"shared-memory segment {ref.segment_id!r} disappeared from {ref.path} before it could be mapped: "
            "it was freed too early; produce the table again",
            component=component,
        ) from None
    except PermissionError as exc:
        raise ShmUnavailableError(f"cannot map shared-memory segment {ref.segment_id!r}: {exc}", component=component) from None
    try:
        return mmap.mmap(fd, 0, prot=mmap.PROT_READ)
    except (OSError, ValueError) as exc:
        raise _invalid(ref, f"cannot be mapped ({exc})", component) from None
    finally:
        os.close(fd)


def _read_table(mapped: pa.Buffer, ref: SegmentRef, component: Optional[str]) -> pa.Table:
    window = mapped.slice(ref.offset, ref.length)  # a slice of the mapping, not a copy
    if window.slice(0, len(ARROW_MAGIC)).to_pybytes() != ARROW_MAGIC:
        raise _invalid(ref, "does not start with the ARROW1 magic of an Arrow IPC file", component)
    if window.slice(ref.length - len(ARROW_MAGIC)).to_pybytes() != ARROW_MAGIC:
        raise _invalid(ref, "does not end with the ARROW1 magic (truncated, or a wrong length)", component)
    try:
        table = pa.ipc.open_file(window, options=_READ_OPTIONS).read_all()
        table.validate()  # buffer sizes against lengths: catches lying metadata before step code reads it
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _invalid(ref, f"is not a decodable Arrow IPC file ({exc})", component) from None
    return table


def ipc_file_size(table: pa.Table) -> int:
    """The exact byte length `table` takes as an Arrow IPC file (computed without writing any data)."""
    counter = pa.MockOutputStream()
    with pa.ipc.new_file(counter, table.schema, options=_WRITE_OPTIONS) as writer:
        writer.write_table(table)
    return counter.size()


class SegmentWriter:
    """Writes output tables into new segments under one directory and remembers them until released.

    Thread-safe: calls on many threads may write at once.
    """

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._pid = os.getpid()
        self._counter = itertools.count(1)
        self._produced: Dict[str, SegmentRef] = {}
        self._lock = threading.Lock()

    def write(self, table: pa.Table, component: Optional[str] = None) -> SegmentRef:
        """Writes `table` as an Arrow IPC file into `<dir>/<pid>-<n>.arrow`, closed, and returns its handle.

        Raises SHM_UNAVAILABLE when the file cannot be created or filled (the
        directory is gone, tmpfs is full); a partial file is removed.
        """
        segment_id, path = self._create_file(component)
        try:
            with pa.OSFile(path, "wb") as sink:
                with pa.ipc.new_file(sink, table.schema, options=_WRITE_OPTIONS) as writer:
                    writer.write_table(table)
                length = sink.tell()
        except (OSError, pa.ArrowException) as exc:
            _unlink_quietly(path)
            raise ShmUnavailableError(
                f"cannot write the output into shared-memory segment {path}: {exc}; free space in "
                f"{self.directory} or lower the output size",
                component=component,
            ) from None
        ref = SegmentRef(segment_id, path, 0, length, table.num_rows)
        with self._lock:
            self._produced[segment_id] = ref
        return ref

    def _create_file(self, component: Optional[str]) -> "tuple[str, str]":
        # O_EXCL: a file left by an earlier process with the same pid may still be held by the host.
        while True:
            segment_id = f"{self._pid}-{next(self._counter)}"
            path = os.path.join(self.directory, segment_id + ".arrow")
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
                return segment_id, path
            except FileExistsError:
                continue
            except OSError as exc:
                raise ShmUnavailableError(
                    f"cannot create a shared-memory segment in {self.directory}: {exc}", component=component
                ) from None

    def release(self, segment_ids: Iterable[str]) -> int:
        """Forgets segments the host freed (it unlinks the files); unknown ids are ignored. Returns how many were known."""
        released = 0
        with self._lock:
            for segment_id in segment_ids:
                if self._produced.pop(segment_id, None) is not None:
                    released += 1
        return released

    @property
    def held(self) -> int:
        """How many produced segments the host has not released yet."""
        return len(self._produced)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
