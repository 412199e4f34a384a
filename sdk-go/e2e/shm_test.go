package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"github.com/heddle-host/heddle/sdk-go/heddle"
)

func TestShmCapability(t *testing.T) {
	_, caps := startShm(t, shmDir(t))
	if !slices.Contains(caps, "shm") {
		t.Errorf("capabilities %v: shm missing although offered and HEDDLE_SHM_DIR is writable", caps)
	}
	_, caps = startShm(t, "")
	if slices.Contains(caps, "shm") {
		t.Errorf("capabilities %v: shm advertised without HEDDLE_SHM_DIR", caps)
	}
	_, caps = startShm(t, filepath.Join(shmDir(t), "missing"))
	if slices.Contains(caps, "shm") {
		t.Errorf("capabilities %v: shm advertised with a HEDDLE_SHM_DIR that does not exist", caps)
	}
	p := launch(t, conformanceBin, func(env map[string]string) { env["HEDDLE_SHM_DIR"] = shmDir(t) })
	p.connect()
	hs, err := p.plugin.Handshake(ctx(t), &pluginv1.HandshakeRequest{ProtocolVersions: []uint32{1}, Capabilities: []string{"streaming"}})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(hs.GetCapabilities(), "shm") {
		t.Errorf("capabilities %v: shm advertised although the host did not offer it", hs.GetCapabilities())
	}
}

func TestShmInput(t *testing.T) {
	dir := shmDir(t)
	p, _ := startShm(t, dir)
	want := idTable(1000, 300)

	t.Run("unary echo, inline output", func(t *testing.T) {
		out := p.invokeOK(t, call{step: "echo", shmInput: writeSegmentFile(t, dir, "host-1", want, 0)})
		checkIDs(t, out, 1000)
	})
	t.Run("offset 64", func(t *testing.T) {
		out := p.invokeOK(t, call{step: "echo", shmInput: writeSegmentFile(t, dir, "host-2", want, 64)})
		checkIDs(t, out, 1000)
	})
	t.Run("InvokeStream, no chunks in, streamed output", func(t *testing.T) {
		s := p.invokeStream(t, call{step: "echo", shmInput: writeSegmentFile(t, dir, "host-3", want, 0)}, 0)
		checkIDs(t, s.table(t), 1000)
	})
	t.Run("a step that transforms the mapped input", func(t *testing.T) {
		out := p.invokeOK(t, call{step: "scale", config: map[string]any{"column": "id", "factor": 2},
			shmInput: writeSegmentFile(t, dir, "host-4", want, 0)})
		if out.NumRows() != 1000 || out.Schema().Field(0).Name != "id" {
			t.Fatalf("scale output %v", out.Schema())
		}
	})
	t.Run("without shm the plugin refuses segments", func(t *testing.T) {
		plain, _ := startShm(t, "")
		plain.invokeErr(t, call{step: "echo", shmInput: writeSegmentFile(t, dir, "host-5", want, 0)}, heddle.CodeUnsupported)
	})
}

func TestShmOutput(t *testing.T) {
	dir := shmDir(t)
	p, _ := startShm(t, dir)
	gen := call{step: "generate", config: map[string]any{"rows": 200000}, shmOutput: 1}

	checkRef := func(t *testing.T, resp *pluginv1.InvokeResponse) *pluginv1.SharedMemoryRef {
		t.Helper()
		if resp.GetError() != nil {
			t.Fatalf("failed: %v", resp.GetError())
		}
		ref := resp.GetOutput().GetShm()
		if ref == nil {
			t.Fatalf("output %v, want a shm ref", resp.GetOutput())
		}
		if filepath.Dir(ref.GetPath()) != dir || filepath.Base(ref.GetPath()) != ref.GetSegmentId()+".arrow" {
			t.Errorf("segment %q at %q: not <segment_id>.arrow in HEDDLE_SHM_DIR", ref.GetSegmentId(), ref.GetPath())
		}
		if !strings.HasPrefix(ref.GetSegmentId(), fmt.Sprintf("%d-", p.cmd.Process.Pid)) {
			t.Errorf("segment id %q does not start with the producer's pid %d", ref.GetSegmentId(), p.cmd.Process.Pid)
		}
		if resp.GetStats().GetOutputBytes() != ref.GetLength() || resp.GetStats().GetOutputRows() != ref.GetNumRows() {
			t.Errorf("stats %v disagree with the ref %v", resp.GetStats(), ref)
		}
		mappedSegment(t, ref, func(tbl *heddle.Table) { checkIDs(t, tbl, 200000) })
		return ref
	}

	var ids []string
	t.Run("unary", func(t *testing.T) {
		t.Cleanup(func() {
			if t.Failed() {
				t.Log(p.stderr.String())
			}
		})
		ids = append(ids, checkRef(t, p.invoke(t, gen)).GetSegmentId())
	})
	t.Run("InvokeStream sends no chunks", func(t *testing.T) {
		s := p.invokeStream(t, gen, 0)
		if len(s.chunks) != 0 {
			t.Errorf("%d chunks sent with a shm output", len(s.chunks))
		}
		ids = append(ids, checkRef(t, s.result).GetSegmentId())
	})
	t.Run("below the threshold stays inline", func(t *testing.T) {
		out := p.invokeOK(t, call{step: "generate", config: map[string]any{"rows": 10}, shmOutput: 1 << 30})
		if out.NumRows() != 10 {
			t.Errorf("%d rows", out.NumRows())
		}
	})
	t.Run("shm input to shm output", func(t *testing.T) {
		// A changed table gets a new segment; an unchanged one passes
		// through (shm_pass_test.go).
		in := writeSegmentFile(t, dir, "host-1", idTable(5000, 1000), 0)
		ref := checkNewSegment(t, dir, in, p.invoke(t, call{step: "add_column", config: map[string]any{"name": "tag", "value": "t"},
			shmInput: in, shmOutput: 1}), func(tbl *heddle.Table) { checkIDs(t, tbl, 5000) })
		ids = append(ids, ref.GetSegmentId())
	})
	t.Run("ReleaseSegments", func(t *testing.T) {
		if _, err := p.control.ReleaseSegments(ctx(t), &pluginv1.ReleaseSegmentsRequest{SegmentIds: append(ids, "never-made")}); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids { // the host owns and unlinks the files, never the plugin
			if _, err := os.Stat(filepath.Join(dir, id+".arrow")); err != nil {
				t.Errorf("segment %s: %v", id, err)
			}
		}
		checkIDs(t, p.invokeOK(t, call{step: "echo", input: idTable(3, 3)}), 3)
	})
}

func TestShmBadSegments(t *testing.T) {
	dir := shmDir(t)
	p, _ := startShm(t, dir)
	good := writeSegmentFile(t, dir, "good", idTable(100, 100), 0)
	data, err := os.ReadFile(good.GetPath())
	if err != nil {
		t.Fatal(err)
	}
	corrupt := bytes.Clone(data)
	for i := 8; i < len(corrupt)-10; i++ { // keep both magics, wreck the rest
		corrupt[i] = 0xFF
	}
	with := func(ref *pluginv1.SharedMemoryRef, edit func(*pluginv1.SharedMemoryRef)) *pluginv1.SharedMemoryRef {
		c := &pluginv1.SharedMemoryRef{SegmentId: ref.GetSegmentId(), Path: ref.GetPath(), Offset: ref.GetOffset(), Length: ref.GetLength(), NumRows: ref.GetNumRows()}
		edit(c)
		return c
	}
	cases := []struct {
		name string
		ref  *pluginv1.SharedMemoryRef
		code heddle.Code
	}{
		{"missing file", with(good, func(r *pluginv1.SharedMemoryRef) { r.Path = filepath.Join(dir, "freed.arrow") }), heddle.CodeSegmentNotFound},
		{"longer than the file", with(good, func(r *pluginv1.SharedMemoryRef) { r.Length += 64 }), heddle.CodeSegmentInvalid},
		{"offset past the end", with(good, func(r *pluginv1.SharedMemoryRef) { r.Offset = 1 << 40 }), heddle.CodeSegmentInvalid},
		{"misaligned offset", with(good, func(r *pluginv1.SharedMemoryRef) { r.Offset = 8; r.Length -= 8 }), heddle.CodeSegmentInvalid},
		{"cut short", with(good, func(r *pluginv1.SharedMemoryRef) { r.Length -= 64 }), heddle.CodeSegmentInvalid},
		{"too short to be a file", with(good, func(r *pluginv1.SharedMemoryRef) { r.Length = 6 }), heddle.CodeSegmentInvalid},
		{"no magic", writeRawFile(t, dir, "noise", bytes.Repeat([]byte("not arrow "), 100)), heddle.CodeSegmentInvalid},
		{"an IPC stream, not a file", writeRawFile(t, dir, "stream", mustEncode(t, idTable(100, 100))), heddle.CodeSegmentInvalid},
		{"undecodable", writeRawFile(t, dir, "corrupt", corrupt), heddle.CodeSegmentInvalid},
		{"a directory", with(good, func(r *pluginv1.SharedMemoryRef) { r.Path = dir }), heddle.CodeSegmentInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := p.invokeErr(t, call{step: "echo", shmInput: c.ref}, c.code)
			if e.GetComponent() != "echo" || !strings.Contains(e.GetMessage(), c.ref.GetSegmentId()) {
				t.Errorf("error %v does not name the step and the segment", e)
			}
			s := p.invokeStream(t, call{step: "echo", shmInput: c.ref}, 0)
			if s.result.GetError().GetCode() != c.code.Proto() {
				t.Errorf("InvokeStream: %v, want %s", s.result.GetError(), c.code)
			}
		})
	}
	// Still alive and reading good segments.
	checkIDs(t, p.invokeOK(t, call{step: "echo", shmInput: good}), 100)
}

func mustEncode(t testing.TB, tbl *heddle.Table) []byte {
	t.Helper()
	data, err := heddle.EncodeIPC(tbl)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
