package heddle

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ipcAllocator is the allocator of every buffer the IPC reader and writer
// make: Go's garbage-collected one, whatever memory.DefaultAllocator was set
// to. Buffers that writeIPC hands out are kept by reference until a frame
// payload is written (frames.go), after the writer has released them; only
// memory the collector owns stays valid then.
var ipcAllocator memory.Allocator = memory.NewGoAllocator()

const (
	// MaxChunkBytes is the largest TableChunk the protocol allows (§5.2).
	MaxChunkBytes = 2 << 20
	// MaxUnaryOutputBytes is the largest output a unary Invoke may return (§5.1).
	MaxUnaryOutputBytes = 16 << 20
)

// EncodeIPC returns t as one Arrow IPC stream: the schema message, every
// record batch and the end-of-stream marker. It fails when a batch cannot be
// written (its columns do not match the schema).
func EncodeIPC(t *Table) ([]byte, error) {
	if t.ipc != nil { // a table passed through unchanged: its bytes are still right
		return t.ipc, nil
	}
	var buf bytes.Buffer
	_, err := writeIPC(t, func(p []byte) error { buf.Write(p); return nil }, 0)
	return buf.Bytes(), err
}

// EncodeSchema returns s as an IPC stream holding only the schema message
// (and the end-of-stream marker), the manifest's form of a table schema.
// It returns nil for a nil schema.
func EncodeSchema(s *arrow.Schema) []byte {
	if s == nil {
		return nil
	}
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(s))
	_ = w.Close() // writing to a bytes.Buffer cannot fail
	return buf.Bytes()
}

// DecodeIPC reads one Arrow IPC stream into a Table without copying it: the
// table's column buffers are slices of data, so data must not change while
// the table is in use. It fails when data is empty or not a valid IPC stream.
func DecodeIPC(data []byte) (t *Table, err error) {
	if len(data) == 0 {
		return nil, errors.New("the IPC stream is empty (0 bytes)")
	}
	defer func() { // a malformed stream can make the decoder panic
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("malformed Arrow IPC stream: %v", r)
		}
	}()
	// The message reader never reads past data, so a corrupt length field
	// fails instead of making the reader allocate gigabytes.
	reader, err := ipc.NewReaderFromMessageReader(&bytesMessageReader{data: data}, ipc.WithAllocator(ipcAllocator))
	if err != nil {
		return nil, err
	}
	defer reader.Release()
	t = &Table{schema: reader.Schema(), ipc: data}
	for reader.Next() {
		b := reader.RecordBatch()
		b.Retain()
		t.batches = append(t.batches, b)
		t.rows += b.NumRows()
	}
	if err := reader.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// writeIPC writes t as an IPC stream through emit. With maxChunk > 0 the
// bytes arrive in slices of at most maxChunk, cut after whole IPC messages
// whenever a message fits, so a receiver may decode batch by batch; with 0
// they arrive as the writer produces them. It returns the bytes written.
func writeIPC(t *Table, emit func([]byte) error, maxChunk int) (int64, error) {
	c := &chunker{emit: emit, max: maxChunk}
	w := ipc.NewWriter(c, ipc.WithSchema(t.schema), ipc.WithAllocator(ipcAllocator))
	for i, b := range t.batches {
		if err := w.Write(b); err != nil {
			_ = w.Close()
			return c.total, fmt.Errorf("batch %d does not match the table schema: %w", i, err)
		}
		if err := c.boundary(); err != nil {
			_ = w.Close()
			return c.total, err
		}
	}
	if err := w.Close(); err != nil {
		return c.total, err
	}
	if c.err != nil {
		return c.total, c.err
	}
	return c.total, c.flush()
}

// chunker gathers the IPC writer's output and hands it on in slices.
type chunker struct {
	emit  func([]byte) error
	max   int
	buf   []byte
	total int64
	err   error
}

func (c *chunker) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	c.total += int64(len(p))
	if c.max == 0 {
		if c.err = c.emit(p); c.err != nil {
			return 0, c.err
		}
		return len(p), nil
	}
	c.buf = append(c.buf, p...)
	// A single message larger than a chunk has to be cut inside itself.
	for len(c.buf) > c.max {
		if c.err = c.emit(c.buf[:c.max]); c.err != nil {
			return 0, c.err
		}
		c.buf = append([]byte(nil), c.buf[c.max:]...)
	}
	return len(p), nil
}

// boundary is called after each whole batch message: send what is gathered
// once it is worth a chunk of its own (half the limit), so chunks end there.
func (c *chunker) boundary() error {
	if c.err != nil {
		return c.err
	}
	if c.max > 0 && len(c.buf) >= c.max/2 {
		return c.flush()
	}
	return nil
}

func (c *chunker) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	out := c.buf
	c.buf = nil
	c.err = c.emit(out)
	return c.err
}
