"""End to end: tables by shared-memory handle into and out of a real plugin process (protocol §8).

The test plays the host: it creates HEDDLE_SHM_DIR on /dev/shm, writes input
segments, reads the plugin's output segments by mapping them, and unlinks them
(the host owns produced segments).
"""

import os
import time

import pytest

from harness import CONFORMANCE_PLUGIN, error_name, handshake, invoke, invoke_pb2, invoke_stream, output_table, start_plugin
from heddle.core import ipc
from heddle.plugin.v1 import controller_pb2
from segments import large_table, make_shm_dir, maps_of, read_segment, remove_dir, sample_table, write_ipc_file, write_raw

MIB = 1 << 20


@pytest.fixture(scope="module")
def shm_dir():
    directory = make_shm_dir()
    yield directory
    remove_dir(directory)


@pytest.fixture(scope="module")
def plugin(shm_dir):
    """The conformance plugin with HEDDLE_SHM_DIR set, as a host offering `shm` starts it."""
    process = start_plugin(CONFORMANCE_PLUGIN, HEDDLE_SHM_DIR=shm_dir)
    yield process
    process.close()


def _with_shm_input(fields, ref):
    header = invoke_pb2.InvokeHeader(**fields)
    header.input.shm.CopyFrom(ref)
    return header


def shm_invoke(p, step, ref, config_json="{}", **fields):
    """A unary Invoke whose input is the segment `ref`."""
    header = _with_shm_input(dict(call_id=f"c-{time.monotonic_ns()}", step=step, config_json=config_json, **fields), ref)
    return p.plugin.Invoke(invoke_pb2.InvokeRequest(header=header), timeout=60)


def shm_invoke_stream(p, step, ref, config_json="{}", **fields):
    """An InvokeStream whose header carries the segment `ref` (no chunks follow); returns (chunks, result)."""
    header = _with_shm_input(dict(call_id=f"c-{time.monotonic_ns()}", step=step, config_json=config_json, **fields), ref)
    chunks, result = [], None
    for message in p.plugin.InvokeStream(iter([invoke_pb2.InvokeStreamRequest(header=header)]), timeout=120):
        if message.WhichOneof("msg") == "chunk":
            chunks.append(message.chunk.data)
        else:
            result = message.result
    return chunks, result


def take_output_segment(p, shm_dir, output):
    """Checks a produced segment is where §8.1 says, reads it, then frees it as the host does."""
    ref = output.shm
    pid = p.proc.pid
    assert ref.segment_id.startswith(f"{pid}-") and ref.offset == 0
    assert ref.path == os.path.join(shm_dir, ref.segment_id + ".arrow")
    assert os.path.getsize(ref.path) == ref.length
    table = read_segment(ref)
    assert table.num_rows == ref.num_rows
    os.unlink(ref.path)
    p.controller.ReleaseSegments(controller_pb2.ReleaseSegmentsRequest(segment_ids=[ref.segment_id]), timeout=10)
    return table


def test_shm_is_advertised_only_when_offered_and_the_folder_is_usable(plugin, launch, tmp_path):
    assert "shm" in handshake(plugin).capabilities
    assert "shm" not in handshake(plugin, capabilities=["streaming"]).capabilities
    missing = launch(CONFORMANCE_PLUGIN, HEDDLE_SHM_DIR=str(tmp_path / "does-not-exist"))
    assert "shm" not in handshake(missing).capabilities


def test_echo_reads_a_segment_the_host_wrote(plugin, shm_dir):
    ref = write_ipc_file(os.path.join(shm_dir, "host-1.arrow"), sample_table())
    assert output_table(shm_invoke(plugin, "echo", ref)).equals(sample_table())
    chunks, result = shm_invoke_stream(plugin, "echo", ref)
    assert not result.HasField("error") and result.output.HasField("streamed")
    assert ipc.decode_stream(b"".join(chunks)).equals(sample_table())
    assert ref.path not in set(maps_of(plugin.proc.pid)), "the input mapping must end with the call"
    os.unlink(ref.path)


def test_a_segment_at_a_64_byte_offset_is_read(plugin, shm_dir):
    ref = write_ipc_file(os.path.join(shm_dir, "host-2.arrow"), sample_table(7), offset=192)
    out = output_table(shm_invoke(plugin, "add_column", ref, config_json='{"name": "tag", "value": "x"}'))
    assert out.column("tag").to_pylist() == ["x"] * 7 and out.column("id").to_pylist() == list(range(7))
    os.unlink(ref.path)


def test_output_over_the_threshold_comes_back_as_a_segment(plugin, shm_dir):
    response = invoke(plugin, "generate", {"rows": 1000}, shm_output_threshold=1)
    assert not response.HasField("error") and response.output.HasField("shm")
    assert response.stats.output_rows == 1000 and response.stats.output_bytes == response.output.shm.length
    table = take_output_segment(plugin, shm_dir, response.output)
    assert table.column("label").to_pylist()[-1] == "row-999"


def test_output_under_the_threshold_stays_inline_and_zero_means_never(plugin):
    assert invoke(plugin, "generate", {"rows": 10}, shm_output_threshold=1 << 30).output.HasField("inline")
    assert invoke(plugin, "generate", {"rows": 10}).output.HasField("inline")


def test_streamed_output_over_the_threshold_sends_no_chunks(plugin, shm_dir):
    out, result, chunks = invoke_stream(plugin, "generate", {"rows": 5000}, shm_output_threshold=1024)
    assert (out, chunks) == (None, 0)
    assert not result.HasField("error") and result.output.HasField("shm")
    assert take_output_segment(plugin, shm_dir, result.output).column("id").to_pylist() == list(range(5000))


def test_release_of_unknown_segments_is_harmless(plugin):
    plugin.controller.ReleaseSegments(controller_pb2.ReleaseSegmentsRequest(segment_ids=["1-1", "nope"]), timeout=10)
    assert output_table(invoke(plugin, "generate", {"rows": 1})).num_rows == 1


@pytest.mark.parametrize(
    "make, code, text",
    [
        (lambda d: write_raw(os.path.join(d, "never.arrow"), b"x"), "SEGMENT_NOT_FOUND", "does not exist"),
        (lambda d: write_raw(os.path.join(d, "junk.arrow"), b"PARQUET" * 20), "SEGMENT_INVALID", "ARROW1"),
        (lambda d: write_raw(os.path.join(d, "trunc.arrow"), b"ARROW1\0\0" + b"\0" * 56, length=1 << 20), "SEGMENT_INVALID", "truncated"),
        (lambda d: write_raw(os.path.join(d, "bad.arrow"), b"ARROW1\0\0" + b"\xab" * 200 + b"ARROW1"), "SEGMENT_INVALID", "decodable"),
        (lambda d: write_ipc_file(os.path.join(d, "odd.arrow"), sample_table(), offset=8), "SEGMENT_INVALID", "multiple of 64"),
    ],
    ids=["missing", "no-magic", "truncated", "undecodable", "misaligned"],
)
@pytest.mark.parametrize("streaming", [False, True], ids=["unary", "stream"])
def test_bad_segments_answer_their_code_and_the_plugin_lives_on(plugin, shm_dir, make, code, text, streaming):
    ref = make(shm_dir)
    if code == "SEGMENT_NOT_FOUND":
        os.unlink(ref.path)
    result = shm_invoke_stream(plugin, "echo", ref)[1] if streaming else shm_invoke(plugin, "echo", ref)
    assert error_name(result.error) == code and text in result.error.message, result.error
    assert result.error.component == "conformance.echo"
    if os.path.exists(ref.path):
        os.unlink(ref.path)
    assert plugin.proc.poll() is None
    assert output_table(invoke(plugin, "generate", {"rows": 2})).num_rows == 2


def test_a_large_table_goes_in_and_out_by_handle(plugin, shm_dir, capsys):
    table = large_table(100 * MIB)
    ref = write_ipc_file(os.path.join(shm_dir, "host-large.arrow"), table)
    assert ref.length >= 100 * MIB
    started = time.perf_counter()
    chunks, result = shm_invoke_stream(plugin, "scale", ref, config_json='{"column": "value", "factor": 2}', shm_output_threshold=MIB)
    computed = time.perf_counter() - started
    assert chunks == [] and not result.HasField("error") and result.output.HasField("shm")
    assert result.output.shm.num_rows == table.num_rows
    out = take_output_segment(plugin, shm_dir, result.output)  # a changed table: a new segment the plugin wrote
    assert out.column("value").to_pylist()[-2:] == [v * 2 for v in table.column("value").to_pylist()[-2:]]
    started = time.perf_counter()
    chunks, result = shm_invoke_stream(plugin, "echo", ref, shm_output_threshold=MIB)
    echoed = time.perf_counter() - started
    assert chunks == [] and not result.HasField("error")
    assert result.output.shm.segment_id == ref.segment_id, "an unchanged input passes through (§8.2)"
    assert ref.path not in set(maps_of(plugin.proc.pid))
    os.unlink(ref.path)
    with capsys.disabled():  # figures for the reader, never assertions
        print(f"\n  100 MiB by handle: scale (new segment) {computed * 1000:.1f} ms, echo (pass-through) {echoed * 1000:.1f} ms")
