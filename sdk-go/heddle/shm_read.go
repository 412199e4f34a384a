package heddle

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"golang.org/x/sys/unix"
)

// arrowMagic opens and closes every Arrow IPC file.
var arrowMagic = []byte("ARROW1")

// minIPCFileBytes is the smallest possible IPC file: leading magic and its
// padding, a 4-byte footer length and the trailing magic.
const minIPCFileBytes = 8 + 4 + 6

// segmentMapping is a read-only mapping of one input segment. It is held by
// the call (until the answer is encoded) and by the step's goroutine (until
// step code returns, which may be after a cancelled call was answered): the
// last holder unmaps, so step code never touches unmapped memory.
type segmentMapping struct {
	mu      sync.Mutex
	region  []byte // what mmap returned (page-aligned)
	data    []byte // the IPC file: [offset, offset+length) of the segment
	holders int
}

// mapSegment maps ref read-only and checks that it looks like an Arrow IPC
// file. It fails with SEGMENT_NOT_FOUND when the file does not exist,
// SEGMENT_INVALID when the offset is misaligned or the file is shorter than
// offset+length or lacks the ARROW1 magic, and SHM_UNAVAILABLE when the file
// exists but cannot be opened or mapped. The mapping starts with one holder.
func mapSegment(ref *pluginv1.SharedMemoryRef) (*segmentMapping, *Error) {
	offset, length := ref.GetOffset(), ref.GetLength()
	if offset%segmentAlignment != 0 {
		return nil, segmentError(CodeSegmentInvalid, ref, fmt.Sprintf("its offset %d is not a multiple of 64", offset))
	}
	if length < minIPCFileBytes {
		return nil, segmentError(CodeSegmentInvalid, ref, fmt.Sprintf("its length %d is too short for an Arrow IPC file (at least %d bytes)", length, minIPCFileBytes))
	}
	f, err := os.Open(ref.GetPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, segmentError(CodeSegmentNotFound, ref, "the file does not exist (freed, or never created)")
	}
	if err != nil {
		return nil, segmentError(CodeShmUnavailable, ref, fmt.Sprintf("the file cannot be opened: %v", err))
	}
	defer f.Close() // the mapping outlives the descriptor
	info, err := f.Stat()
	if err != nil {
		return nil, segmentError(CodeShmUnavailable, ref, fmt.Sprintf("the file cannot be examined: %v", err))
	}
	if !info.Mode().IsRegular() {
		return nil, segmentError(CodeSegmentInvalid, ref, "it is not a regular file")
	}
	if size := uint64(info.Size()); offset > size || length > size-offset {
		return nil, segmentError(CodeSegmentInvalid, ref, fmt.Sprintf(
			"the file holds %d bytes, fewer than offset+length = %d (truncated?)", size, offset+length))
	}
	// mmap wants a page-aligned file offset; 64 need not be one.
	pageStart := offset &^ uint64(os.Getpagesize()-1)
	region, err := unix.Mmap(int(f.Fd()), int64(pageStart), int(length+offset-pageStart), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, segmentError(CodeShmUnavailable, ref, fmt.Sprintf("mmap failed: %v", err))
	}
	m := &segmentMapping{region: region, data: region[offset-pageStart:], holders: 1}
	if !bytes.HasPrefix(m.data, arrowMagic) || !bytes.HasSuffix(m.data, arrowMagic) {
		m.release()
		return nil, segmentError(CodeSegmentInvalid, ref, "the bytes do not start and end with the ARROW1 magic of an Arrow IPC file (an IPC stream, or not Arrow?)")
	}
	return m, nil
}

// hold adds a holder; each hold needs one release.
func (m *segmentMapping) hold() {
	m.mu.Lock()
	m.holders++
	m.mu.Unlock()
}

// release drops a holder and unmaps after the last one. A nil mapping is a no-op.
func (m *segmentMapping) release() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.holders--
	if m.holders == 0 && m.region != nil {
		_ = unix.Munmap(m.region) // fails only for a region that is not mapped
		m.region, m.data = nil, nil
	}
}

// decodeSegment reads the mapped IPC file into a Table whose column buffers
// point into the mapping (no copy). It fails with SEGMENT_INVALID when the
// bytes do not decode; a corrupt file never crashes the plugin.
func decodeSegment(m *segmentMapping, ref *pluginv1.SharedMemoryRef) (t *Table, failure *Error) {
	// A segment truncated behind our back faults on access: make that a panic
	// we recover instead of a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			t, failure = nil, segmentError(CodeSegmentInvalid, ref, fmt.Sprintf("it is not a decodable Arrow IPC file: %v", r))
		}
	}()
	limit := int64(len(m.data)) // no message can be larger than the segment
	reader, err := ipc.NewMappedFileReader(m.data, ipc.WithAllocator(memory.DefaultAllocator),
		ipc.WithMetadataSizeLimit(limit), ipc.WithBodySizeLimit(limit))
	if err != nil {
		return nil, segmentError(CodeSegmentInvalid, ref, fmt.Sprintf("it is not a decodable Arrow IPC file: %v", err))
	}
	defer reader.Close()
	t = &Table{schema: reader.Schema()}
	for i := 0; i < reader.NumRecords(); i++ {
		b, err := reader.RecordBatchAt(i)
		if err != nil {
			return nil, segmentError(CodeSegmentInvalid, ref, fmt.Sprintf("record batch %d does not decode: %v", i, err))
		}
		t.batches = append(t.batches, b)
		t.rows += b.NumRows()
	}
	return t, nil
}

// segmentError names the segment and what was wrong with it.
func segmentError(code Code, ref *pluginv1.SharedMemoryRef, why string) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(
		"shared-memory input segment %q (%s, offset %d, length %d): %s; the producer must hand over a complete Arrow IPC file",
		ref.GetSegmentId(), ref.GetPath(), ref.GetOffset(), ref.GetLength(), why)}
}
