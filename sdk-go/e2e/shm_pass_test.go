package e2e

// Pass-through (protocol §8.2): an output that is the input table unchanged,
// when the input came by handle and the host asked for outputs by handle,
// goes back as the input's own segment; any other output gets a new one.

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"github.com/heddle-host/heddle/sdk-go/heddle"
)

// segmentFiles lists the file names in dir, sorted.
func segmentFiles(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// checkPassThrough makes a call whose input is the segment in (by calling
// do) and checks that the answer is in itself: same segment_id, path,
// offset and length, num_rows of the table, stats to match, and no new file
// in dir.
func checkPassThrough(t testing.TB, dir string, in *pluginv1.SharedMemoryRef, do func() *pluginv1.InvokeResponse) {
	t.Helper()
	before := segmentFiles(t, dir)
	resp := do()
	after := segmentFiles(t, dir)
	if resp.GetError() != nil {
		t.Fatalf("failed: %v", resp.GetError())
	}
	ref := resp.GetOutput().GetShm()
	if ref == nil {
		t.Fatalf("output %v, want the input segment by handle", resp.GetOutput())
	}
	if ref.GetSegmentId() != in.GetSegmentId() || ref.GetPath() != in.GetPath() ||
		ref.GetOffset() != in.GetOffset() || ref.GetLength() != in.GetLength() {
		t.Errorf("answered segment %q %s [%d, +%d), want the input's %q %s [%d, +%d)",
			ref.GetSegmentId(), ref.GetPath(), ref.GetOffset(), ref.GetLength(),
			in.GetSegmentId(), in.GetPath(), in.GetOffset(), in.GetLength())
	}
	if ref.GetNumRows() != in.GetNumRows() {
		t.Errorf("num_rows %d, the input has %d", ref.GetNumRows(), in.GetNumRows())
	}
	if st := resp.GetStats(); st.GetOutputRows() != in.GetNumRows() || st.GetOutputBytes() != in.GetLength() {
		t.Errorf("stats %v disagree with the segment %v", st, in)
	}
	if !slices.Equal(before, after) {
		t.Errorf("HEDDLE_SHM_DIR held %v before the call and %v after: the plugin wrote a segment", before, after)
	}
}

// checkNewSegment checks that resp answers a changed table as a new segment
// in dir (not the input's), and calls check with the table read from it.
func checkNewSegment(t testing.TB, dir string, in *pluginv1.SharedMemoryRef, resp *pluginv1.InvokeResponse, check func(*heddle.Table)) *pluginv1.SharedMemoryRef {
	t.Helper()
	if resp.GetError() != nil {
		t.Fatalf("failed: %v", resp.GetError())
	}
	ref := resp.GetOutput().GetShm()
	if ref == nil {
		t.Fatalf("output %v, want a new segment by handle", resp.GetOutput())
	}
	if ref.GetSegmentId() == in.GetSegmentId() || ref.GetPath() == in.GetPath() {
		t.Fatalf("a changed table came back as the input segment %v", ref)
	}
	if filepath.Dir(ref.GetPath()) != dir {
		t.Errorf("new segment %s is not in HEDDLE_SHM_DIR %s", ref.GetPath(), dir)
	}
	mappedSegment(t, ref, check)
	return ref
}

func TestShmPassThrough(t *testing.T) {
	dir := shmDir(t)
	p, _ := startShm(t, dir)
	want := idTable(1000, 300)
	seg := func(id string, offset int) *pluginv1.SharedMemoryRef {
		return writeSegmentFile(t, dir, id, want, offset)
	}
	tag := map[string]any{"name": "tag", "value": "t"}
	tagged := func(tbl *heddle.Table) { // add_column's output: ids, then tag
		checkIDs(t, tbl, 1000)
		if got := columns(tbl.Schema()); !slices.Equal(got, []string{"id:int64", "tag:utf8"}) {
			t.Errorf("columns %v", got)
		}
	}
	scaled := func(tbl *heddle.Table) {
		if got := columns(tbl.Schema()); tbl.NumRows() != 1000 || !slices.Equal(got, []string{"id:float64"}) {
			t.Errorf("scale's output: %d rows, columns %v", tbl.NumRows(), got)
		}
	}

	t.Run("unary echo answers with the input segment", func(t *testing.T) {
		in := seg("host-p1", 0)
		checkPassThrough(t, dir, in, func() *pluginv1.InvokeResponse { return p.invoke(t, call{step: "echo", shmInput: in, shmOutput: 1}) })
	})
	t.Run("at offset 64", func(t *testing.T) {
		in := seg("host-p2", 64)
		checkPassThrough(t, dir, in, func() *pluginv1.InvokeResponse { return p.invoke(t, call{step: "echo", shmInput: in, shmOutput: 1}) })
	})
	t.Run("threshold equal to the segment's length", func(t *testing.T) {
		in := seg("host-p3", 0)
		checkPassThrough(t, dir, in, func() *pluginv1.InvokeResponse {
			return p.invoke(t, call{step: "echo", shmInput: in, shmOutput: in.GetLength()})
		})
	})
	t.Run("InvokeStream sends no chunks", func(t *testing.T) {
		in := seg("host-p4", 0)
		checkPassThrough(t, dir, in, func() *pluginv1.InvokeResponse {
			s := p.invokeStream(t, call{step: "echo", shmInput: in, shmOutput: 1}, 0)
			if len(s.chunks) != 0 {
				t.Errorf("%d chunks sent with a pass-through output", len(s.chunks))
			}
			return s.result
		})
	})
	t.Run("fused: the last stage returns the first step's input", func(t *testing.T) {
		in := seg("host-p5", 0)
		then := []*pluginv1.InvokeStage{stage(t, "echo", nil, nil), stage(t, "echo", nil, nil)}
		checkPassThrough(t, dir, in, func() *pluginv1.InvokeResponse {
			return p.invoke(t, call{step: "echo", shmInput: in, shmOutput: 1, then: then})
		})
	})
	t.Run("a step that changes the table writes a new segment", func(t *testing.T) {
		in := seg("host-p6", 0)
		before := len(segmentFiles(t, dir))
		checkNewSegment(t, dir, in, p.invoke(t, call{step: "add_column", config: tag, shmInput: in, shmOutput: 1}), tagged)
		checkNewSegment(t, dir, in, p.invoke(t, call{step: "scale", config: map[string]any{"column": "id", "factor": 1},
			shmInput: in, shmOutput: 1}), scaled)
		if after := len(segmentFiles(t, dir)); after != before+2 {
			t.Errorf("%d files in HEDDLE_SHM_DIR after two changed outputs, want %d", after, before+2)
		}
	})
	t.Run("fused: an echo after a change writes a new segment", func(t *testing.T) {
		in := seg("host-p7", 0)
		then := []*pluginv1.InvokeStage{stage(t, "echo", nil, nil)}
		checkNewSegment(t, dir, in, p.invoke(t, call{step: "add_column", config: tag, shmInput: in, shmOutput: 1, then: then}), tagged)
	})
	t.Run("below the threshold the output goes as bytes", func(t *testing.T) {
		in := seg("host-p8", 0)
		before := segmentFiles(t, dir)
		checkIDs(t, p.invokeOK(t, call{step: "echo", shmInput: in, shmOutput: in.GetLength() + 1}), 1000)
		s := p.invokeStream(t, call{step: "echo", shmInput: in, shmOutput: in.GetLength() + 1}, 0)
		checkIDs(t, s.table(t), 1000)
		if after := segmentFiles(t, dir); !slices.Equal(before, after) {
			t.Errorf("HEDDLE_SHM_DIR held %v before and %v after", before, after)
		}
	})
	t.Run("without shm_output_threshold the output goes as bytes", func(t *testing.T) {
		checkIDs(t, p.invokeOK(t, call{step: "echo", shmInput: seg("host-p9", 0)}), 1000)
	})
}
