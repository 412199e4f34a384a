package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"github.com/heddle-host/heddle/sdk-go/heddle"
	"golang.org/x/sys/unix"
)

// shmDir makes a private segment directory on tmpfs, as a host would, and
// removes it (with every segment in it) when the test ends.
func shmDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "heddle-go-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// startShm launches the conformance plugin with HEDDLE_SHM_DIR=dir and
// handshakes offering shm; it returns the process and the capabilities.
func startShm(t testing.TB, dir string) (*proc, []string) {
	t.Helper()
	p := launch(t, conformanceBin, func(env map[string]string) {
		if dir != "" {
			env["HEDDLE_SHM_DIR"] = dir
		}
	})
	p.connect()
	hs, err := p.plugin.Handshake(ctx(t), &pluginv1.HandshakeRequest{ProtocolVersions: []uint32{1}, HostName: "e2e",
		HostVersion: "0", Capabilities: []string{"streaming", "cancel", heddle.CapabilityShm}})
	if err != nil {
		t.Fatal(err)
	}
	return p, hs.GetCapabilities()
}

// idTable is {id: int64} holding 0..rows-1 in batches of batchRows.
func idTable(rows, batchRows int64) *heddle.Table {
	s := schema(arrow.Field{Name: "id", Type: arrow.PrimitiveTypes.Int64})
	var batches []arrow.RecordBatch
	for start := int64(0); start < rows; start += batchRows {
		n := min(batchRows, rows-start)
		values := make([]int64, n)
		for i := range values {
			values[i] = start + int64(i)
		}
		b := array.NewInt64Builder(memory.DefaultAllocator)
		b.AppendValues(values, nil)
		batches = append(batches, array.NewRecordBatch(s, []arrow.Array{b.NewArray()}, n))
		b.Release()
	}
	t, _ := heddle.NewTable(s, batches...)
	return t
}

// writeSegmentFile writes tbl as an Arrow IPC file at offset in a new file
// under dir (the bytes before offset are filler) and returns its ref.
func writeSegmentFile(t testing.TB, dir, id string, tbl *heddle.Table, offset int) *pluginv1.SharedMemoryRef {
	t.Helper()
	path := filepath.Join(dir, id+".arrow")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(bytes.Repeat([]byte{0xAB}, offset)); err != nil {
		t.Fatal(err)
	}
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(tbl.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range tbl.Batches() {
		if err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return &pluginv1.SharedMemoryRef{SegmentId: id, Path: path, Offset: uint64(offset),
		Length: uint64(info.Size()) - uint64(offset), NumRows: uint64(tbl.NumRows())}
}

// writeRawFile writes data as a segment file and returns a ref to all of it.
func writeRawFile(t testing.TB, dir, id string, data []byte) *pluginv1.SharedMemoryRef {
	t.Helper()
	path := filepath.Join(dir, id+".arrow")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return &pluginv1.SharedMemoryRef{SegmentId: id, Path: path, Length: uint64(len(data))}
}

// mappedSegment maps an output segment read-only, checks that the ref
// describes the file exactly, and calls check with the table read in place.
func mappedSegment(t testing.TB, ref *pluginv1.SharedMemoryRef, check func(*heddle.Table)) {
	t.Helper()
	f, err := os.Open(ref.GetPath())
	if err != nil {
		t.Fatalf("output segment %s: %v", ref.GetPath(), err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if ref.GetOffset() != 0 || uint64(info.Size()) != ref.GetLength() {
		t.Fatalf("ref says offset %d length %d, the file holds %d bytes", ref.GetOffset(), ref.GetLength(), info.Size())
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(ref.GetLength()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(data)
	r, err := ipc.NewMappedFileReader(data)
	if err != nil {
		t.Fatalf("output segment is not an Arrow IPC file: %v", err)
	}
	defer r.Close()
	var batches []arrow.RecordBatch
	for i := 0; i < r.NumRecords(); i++ {
		b, err := r.RecordBatchAt(i)
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, b)
	}
	tbl, err := heddle.NewTable(r.Schema(), batches...)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(tbl.NumRows()) != ref.GetNumRows() {
		t.Errorf("num_rows says %d, the segment holds %d", ref.GetNumRows(), tbl.NumRows())
	}
	check(tbl)
}

// checkIDs fails unless tbl's first column is 0..rows-1 (int64).
func checkIDs(t testing.TB, tbl *heddle.Table, rows int64) {
	t.Helper()
	if tbl.NumRows() != rows {
		t.Fatalf("%d rows, want %d", tbl.NumRows(), rows)
	}
	next := int64(0)
	for _, chunk := range tbl.Column(0) {
		for _, v := range chunk.(*array.Int64).Int64Values() {
			if v != next {
				t.Fatalf("row %d holds %d", next, v)
			}
			next++
		}
	}
}
