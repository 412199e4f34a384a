"""Unit: heddle.core.shm reads segments in place and writes outputs into new ones (protocol §8)."""

import os

import pyarrow as pa
import pytest

from heddle.core import shm
from heddle.core.errors import HeddleError
from segments import large_table, make_shm_dir, read_segment, remove_dir, sample_table, write_ipc_file, write_raw


@pytest.fixture
def shm_dir():
    directory = make_shm_dir()
    yield directory
    remove_dir(directory)


def _ref(proto) -> shm.SegmentRef:
    return shm.SegmentRef(proto.segment_id, proto.path, proto.offset, proto.length, proto.num_rows)


def test_usable_shm_dir_needs_a_writable_directory(shm_dir, tmp_path):
    assert shm.usable_shm_dir({"HEDDLE_SHM_DIR": shm_dir}) == shm_dir
    assert shm.usable_shm_dir({}) is None
    assert shm.usable_shm_dir({"HEDDLE_SHM_DIR": str(tmp_path / "missing")}) is None
    read_only = tmp_path / "ro"
    read_only.mkdir(mode=0o500)
    if os.geteuid() != 0:  # root may write anywhere
        assert shm.usable_shm_dir({"HEDDLE_SHM_DIR": str(read_only)}) is None


def test_a_mapped_segment_reads_the_table_without_allocating(shm_dir):
    table = large_table(8 << 20)
    ref = write_ipc_file(os.path.join(shm_dir, "in.arrow"), table, offset=128)
    before = pa.total_allocated_bytes()
    with shm.MappedSegment(_ref(ref)) as segment:
        assert segment.table.equals(table)
        # The 8 MiB of columns live in the mapping, not in Arrow's memory pool.
        assert pa.total_allocated_bytes() - before < (1 << 20)


@pytest.mark.parametrize(
    "problem, make, code",
    [
        ("missing file", lambda d: write_raw(os.path.join(d, "gone"), b"x" * 64), "SEGMENT_NOT_FOUND"),
        ("no magic", lambda d: write_raw(os.path.join(d, "junk"), b"not arrow at all, not at all"), "SEGMENT_INVALID"),
        ("too short", lambda d: write_raw(os.path.join(d, "short"), b"ARROW1"), "SEGMENT_INVALID"),
        ("length past the end", lambda d: write_raw(os.path.join(d, "trunc"), b"ARROW1\0\0" + b"\0" * 40, length=4096), "SEGMENT_INVALID"),
        ("garbage between magics", lambda d: write_raw(os.path.join(d, "garb"), b"ARROW1\0\0" + b"\xff" * 100 + b"ARROW1"), "SEGMENT_INVALID"),
    ],
)
def test_bad_segments_raise_their_code(shm_dir, problem, make, code):
    ref = make(shm_dir)
    if problem == "missing file":
        os.unlink(ref.path)
    with pytest.raises(HeddleError) as caught:
        shm.MappedSegment(_ref(ref), component="echo")
    assert caught.value.code == code, problem
    assert ref.path in caught.value.message and caught.value.component == "echo"


def test_a_misaligned_offset_is_invalid(shm_dir):
    ref = write_ipc_file(os.path.join(shm_dir, "odd.arrow"), sample_table(), offset=8)
    with pytest.raises(HeddleError) as caught:
        shm.MappedSegment(_ref(ref))
    assert caught.value.code == "SEGMENT_INVALID" and "multiple of 64" in caught.value.message


def test_an_ipc_stream_is_not_an_ipc_file(shm_dir):
    path = os.path.join(shm_dir, "stream.arrow")
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_stream(sink, sample_table().schema) as writer:
        writer.write_table(sample_table())
    with pytest.raises(HeddleError) as caught:
        shm.MappedSegment(shm.SegmentRef("s", path, 0, os.path.getsize(path), 5))
    assert caught.value.code == "SEGMENT_INVALID" and "ARROW1" in caught.value.message


def test_ipc_file_size_is_exact(shm_dir):
    table = sample_table(1000)
    ref = write_ipc_file(os.path.join(shm_dir, "sized.arrow"), table)
    assert shm.ipc_file_size(table) == ref.length


def test_writer_names_segments_by_pid_and_counter_and_skips_existing_files(shm_dir):
    pid = os.getpid()
    open(os.path.join(shm_dir, f"{pid}-1.arrow"), "wb").close()  # left by an earlier process with our pid
    writer = shm.SegmentWriter(shm_dir)
    first = writer.write(sample_table())
    second = writer.write(sample_table(3))
    assert (first.segment_id, second.segment_id) == (f"{pid}-2", f"{pid}-3")
    assert first.path == os.path.join(shm_dir, f"{pid}-2.arrow") and first.offset == 0
    assert first.length == os.path.getsize(first.path) and first.num_rows == 5
    assert read_segment(first).equals(sample_table())
    assert writer.held == 2
    assert writer.release([first.segment_id, "unknown-9"]) == 1
    assert writer.held == 1


def test_writer_reports_shm_unavailable_when_the_directory_is_gone(shm_dir):
    writer = shm.SegmentWriter(shm_dir)
    remove_dir(shm_dir)
    with pytest.raises(HeddleError) as caught:
        writer.write(sample_table(), component="echo")
    assert caught.value.code == "SHM_UNAVAILABLE" and shm_dir in caught.value.message
