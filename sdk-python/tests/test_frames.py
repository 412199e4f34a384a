"""The frame codec (heddle.sdk.frames) over real socket pairs, and the worker pool behind the frame lane."""

import io
import socket
import threading

import pytest

from heddle.core.logger import Logger
from heddle.sdk.frames import (
    KIND_CALL,
    KIND_RESULT,
    PREFACE,
    PREFIX_SIZE,
    FrameError,
    FrameReader,
    encode_frame,
    write_frame,
)
from heddle.sdk.workers import WorkerPool

LIMIT = 64 << 20


@pytest.fixture
def pair():
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    left.settimeout(30)
    right.settimeout(30)
    yield left, right
    left.close()
    right.close()


def _send_in_background(sock, data, piece=0):
    """Sends `data` from another thread (whole, or `piece` bytes per send to split frames across reads)."""

    def run():
        if piece:
            for start in range(0, len(data), piece):
                sock.sendall(data[start : start + piece])
        else:
            sock.sendall(data)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_preface_then_frames_round_trip(pair):
    left, right = pair
    left.sendall(PREFACE + encode_frame(KIND_CALL, 7, b"hello", b"payload") + encode_frame(KIND_CALL, 8, b"", b""))
    left.shutdown(socket.SHUT_WR)
    reader = FrameReader(right, LIMIT)
    reader.read_preface()
    first = reader.read_frame()
    assert (first.kind, first.call_no, bytes(first.message), first.payload.to_pybytes()) == (KIND_CALL, 7, b"hello", b"payload")
    second = reader.read_frame()
    assert (second.call_no, bytes(second.message), second.payload) == (8, b"", None)
    assert reader.read_frame() is None  # end-of-file between frames


def test_a_wrong_preface_is_a_frame_error(pair):
    left, right = pair
    left.sendall(b"HDLFRM02")
    with pytest.raises(FrameError):
        FrameReader(right, LIMIT).read_preface()


def test_frames_split_into_tiny_pieces_are_reassembled(pair):
    left, right = pair
    frames = b"".join(encode_frame(KIND_CALL, n, b"m" * n, bytes([n % 256]) * (n * 3)) for n in range(1, 60))
    sender = _send_in_background(left, frames, piece=7)
    reader = FrameReader(right, LIMIT)
    for n in range(1, 60):
        frame = reader.read_frame()
        assert frame.call_no == n and bytes(frame.message) == b"m" * n
        assert frame.payload.to_pybytes() == bytes([n % 256]) * (n * 3)
    sender.join()


def test_many_frames_in_one_read_straddle_the_read_buffer(pair):
    left, right = pair
    # ~1000 frames of ~130 bytes: parts of frames cross the 64 KiB read buffer's end several times.
    frames = [encode_frame(KIND_CALL, n, b"h" * 50, n.to_bytes(4, "little") * 20) for n in range(1000)]
    sender = _send_in_background(left, b"".join(frames))
    reader = FrameReader(right, LIMIT)
    for n in range(1000):
        frame = reader.read_frame()
        assert frame.call_no == n and frame.payload.to_pybytes() == n.to_bytes(4, "little") * 20
    sender.join()


def test_a_message_larger_than_the_read_buffer(pair):
    left, right = pair
    message = bytes(range(256)) * 1024  # 256 KiB
    sender = _send_in_background(left, encode_frame(KIND_CALL, 1, message, b"tail"))
    frame = FrameReader(right, LIMIT).read_frame()
    assert bytes(frame.message) == message and frame.payload.to_pybytes() == b"tail"
    sender.join()


def test_payloads_are_read_into_64_byte_aligned_buffers(pair):
    left, right = pair
    sender = _send_in_background(left, encode_frame(KIND_CALL, 1, b"x", b"a" * 1000) + encode_frame(KIND_CALL, 2, b"", b"b" * (3 << 20)))
    reader = FrameReader(right, LIMIT)
    for size in (1000, 3 << 20):
        frame = reader.read_frame()
        assert frame.payload.size == size and frame.payload.address % 64 == 0
    sender.join()


@pytest.mark.parametrize("size", [0, 100, 64 * 1024, 5 << 20])
def test_write_frame_sends_prefix_message_and_payload_whole(pair, size):
    left, right = pair
    payload = bytes(i % 251 for i in range(size))
    writer = threading.Thread(target=write_frame, args=(left, KIND_RESULT, 42, b"response", payload), daemon=True)
    writer.start()
    frame = FrameReader(right, LIMIT, expected_kind=KIND_RESULT).read_frame()
    writer.join()
    assert (frame.kind, frame.call_no, bytes(frame.message)) == (KIND_RESULT, 42, b"response")
    assert (frame.payload.to_pybytes() if frame.payload is not None else b"") == payload


def _raw_prefix(header_len=0, kind_word=KIND_CALL, call_no=1, zero=0, payload_len=0):
    return (
        header_len.to_bytes(4, "little")
        + kind_word.to_bytes(4, "little")
        + call_no.to_bytes(4, "little")
        + zero.to_bytes(4, "little")
        + payload_len.to_bytes(8, "little")
    )


@pytest.mark.parametrize(
    "prefix, problem",
    [
        (_raw_prefix(kind_word=9), "unknown"),
        (_raw_prefix(kind_word=KIND_RESULT), "not expected"),
        (_raw_prefix(kind_word=KIND_CALL | (1 << 16)), "reserved"),
        (_raw_prefix(zero=5), "reserved"),
        (_raw_prefix(header_len=LIMIT + 1), "limit"),
        (_raw_prefix(payload_len=1 << 53), "payload of"),
    ],
    ids=["unknown kind", "result kind from the host", "reserved after kind", "reserved after call_no", "message too large", "payload 2^53"],
)
def test_malformed_prefixes_are_frame_errors(pair, prefix, problem):
    left, right = pair
    assert len(prefix) == PREFIX_SIZE
    left.sendall(prefix)
    with pytest.raises(FrameError, match=problem):
        FrameReader(right, LIMIT).read_frame()


def test_end_of_file_inside_a_frame_is_a_connection_error(pair):
    left, right = pair
    left.sendall(encode_frame(KIND_CALL, 1, b"message", b"payload")[:-3])
    left.shutdown(socket.SHUT_WR)
    with pytest.raises(ConnectionError):
        FrameReader(right, LIMIT).read_frame()


def test_the_pool_runs_a_fast_task_while_a_slow_one_blocks():
    pool = WorkerPool(4, Logger(level="error"))
    release = threading.Event()
    fast_done = threading.Event()
    pool.submit(release.wait, 30)
    pool.submit(fast_done.set)
    assert fast_done.wait(30)
    release.set()


def test_the_pool_queues_past_its_limit_and_runs_everything():
    pool = WorkerPool(2, Logger(level="error"))
    results = []
    lock = threading.Lock()
    done = threading.Semaphore(0)

    def task(n):
        with lock:
            results.append(n)
        done.release()

    for n in range(200):
        pool.submit(task, n)
    for _ in range(200):
        assert done.acquire(timeout=30)
    assert sorted(results) == list(range(200))
    assert pool._threads <= 2


def test_a_failing_task_is_logged_and_does_not_kill_its_worker():
    stream = io.StringIO()
    pool = WorkerPool(1, Logger(level="error", stream=stream))
    after = threading.Event()
    pool.submit(lambda: 1 / 0)
    pool.submit(after.set)
    assert after.wait(30)
    assert "ZeroDivisionError" in stream.getvalue()
