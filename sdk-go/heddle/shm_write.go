package heddle

import (
	"bufio"
	"fmt"
	"os"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

// segmentWriteBuffer gathers the IPC writer's small writes (message headers,
// padding); column buffers at least this large bypass it and go to the file
// in one write each, so every byte is written once.
const segmentWriteBuffer = 64 << 10

// wantsShmOutput reports whether out goes back as a segment: the host asked
// for it (a non-zero shm_output_threshold, which it sets only after both
// sides negotiated "shm") and the output's IPC size reaches the threshold.
func (s *server) wantsShmOutput(h *pluginv1.InvokeHeader, out *Table) bool {
	threshold := h.GetShmOutputThreshold()
	return threshold > 0 && s.shm.enabled() && uint64(ipcSizeEstimate(out)) >= threshold
}

// ipcSizeEstimate is the IPC size of t without encoding it: the exact bytes
// when t passes through unchanged, otherwise the bytes of its column buffers
// (the body; message headers add a few hundred bytes at most).
func ipcSizeEstimate(t *Table) int64 {
	if t.ipc != nil {
		return int64(len(t.ipc))
	}
	var n int64
	for _, b := range t.batches {
		for _, c := range b.Columns() {
			n += bufferBytes(c.Data())
		}
	}
	return n
}

// bufferBytes adds up the buffers of an array, its children and dictionary.
func bufferBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		n += bufferBytes(c)
	}
	if d.DataType().ID() == arrow.DICTIONARY { // elsewhere Dictionary() is a typed nil
		n += bufferBytes(d.Dictionary())
	}
	return n
}

// writeSegment writes out as an Arrow IPC file into a new segment under
// HEDDLE_SHM_DIR, closes it and returns its ref: from then on the host owns
// the file (protocol §8.2). It fails with SHM_UNAVAILABLE when the file
// cannot be created or written (the partial file is removed), and with
// INVALID_OUTPUT when a batch does not match the table's schema.
func (s *server) writeSegment(step string, out *Table) (*pluginv1.SharedMemoryRef, *Error) {
	id, path := s.shm.nextSegment()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, &Error{Code: CodeShmUnavailable, Component: step, Message: fmt.Sprintf(
			"cannot create the output segment %s: %v; check that HEDDLE_SHM_DIR exists and has room, or call without shm output", path, err)}
	}
	length, failure := encodeFile(f, step, out)
	if closeErr := f.Close(); failure == nil && closeErr != nil {
		failure = &Error{Code: CodeShmUnavailable, Component: step, Message: fmt.Sprintf("cannot close the output segment %s: %v", path, closeErr)}
	}
	if failure != nil {
		_ = os.Remove(path) // never hand over, or leave behind, a half-written segment
		return nil, failure
	}
	return &pluginv1.SharedMemoryRef{SegmentId: id, Path: path, Offset: 0, Length: uint64(length), NumRows: uint64(out.rows)}, nil
}

// encodeFile writes out as one IPC file to f and returns its byte length.
// arrow-go v18 pads every body buffer and every message to a multiple of 8
// bytes (bitutil.CeilByte64; it has no alignment option, and its 64-byte
// kArrowAlignment only sizes buffers): the 8 the IPC format requires, so the
// file reads in place in every Arrow library, but buffers are not 64-aligned.
func encodeFile(f *os.File, step string, out *Table) (length int64, failure *Error) {
	defer func() { // a table whose buffers are bad can make the writer panic
		if r := recover(); r != nil {
			failure = &Error{Code: CodeInvalidOutput, Component: step, Message: fmt.Sprintf("%s returned a table that cannot be written as Arrow IPC: %v", step, r)}
		}
	}()
	counted := &countingWriter{w: bufio.NewWriterSize(f, segmentWriteBuffer)}
	w, err := ipc.NewFileWriter(counted, ipc.WithSchema(out.schema), ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return 0, writeFailure(step, f.Name(), err)
	}
	for i, b := range out.batches {
		if err := w.Write(b); err != nil {
			_ = w.Close()
			if counted.err != nil {
				return 0, writeFailure(step, f.Name(), counted.err)
			}
			return 0, &Error{Code: CodeInvalidOutput, Component: step, Message: fmt.Sprintf(
				"%s returned a table whose batch %d does not match its schema: %v", step, i, err)}
		}
	}
	if err := w.Close(); err != nil {
		return 0, writeFailure(step, f.Name(), err)
	}
	if err := counted.w.Flush(); err != nil {
		return 0, writeFailure(step, f.Name(), err)
	}
	return counted.n, nil
}

func writeFailure(step, path string, err error) *Error {
	return &Error{Code: CodeShmUnavailable, Component: step, Message: fmt.Sprintf(
		"cannot write the output segment %s: %v; HEDDLE_SHM_DIR may be full", path, err)}
}

// countingWriter counts the bytes that reach the file and remembers the
// first write error.
type countingWriter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// answerWithSegment writes out into a new segment and answers with its ref,
// or with the failure (see writeSegment).
func (s *server) answerWithSegment(step string, out *Table, start time.Time) *pluginv1.InvokeResponse {
	ref, failure := s.writeSegment(step, out)
	if failure != nil {
		return failed(failure, start)
	}
	return &pluginv1.InvokeResponse{
		Output: &pluginv1.DataRef{Kind: &pluginv1.DataRef_Shm{Shm: ref}},
		Stats:  stats(start, out.rows, int(ref.GetLength())),
	}
}
