package native

// The input stream, read in place. arrow-go's cdata importer gives record
// batches whose buffers are the host's memory, and releases the C arrays when
// their reference counts reach zero; but step code never has to Release what
// it uses (the SDK's tables are garbage-collected), so counts are no guide.
// Each imported batch is therefore re-wrapped: the same bytes, in buffers
// whose allocator is a per-batch keeper, and the C batch is released when the
// Go garbage collector finds the keeper unreachable, that is when no array
// the step made, kept, or returned (exported to the host) uses those bytes.

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/cdata"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/heddle-host/heddle/sdk-go/heddle"
)

// cStream is the layout of struct ArrowArrayStream (the Arrow C Stream
// Interface), to look at it without cgo.
type cStream struct {
	getSchema, getNext, getLastError, release, privateData unsafe.Pointer
}

// readInput takes ownership of the stream at p (nil or released: no input)
// and returns its batches as a Table whose buffers are the stream's memory.
// It fails with INVALID_INPUT when the stream has no readable schema or fails
// mid-way; the stream and what was read are released either way.
func readInput(p unsafe.Pointer) (*heddle.Table, *heddle.Error) {
	if p == nil || (*cStream)(p).release == nil {
		return nil, nil
	}
	imported, err := cdata.ImportCRecordReader((*cdata.CArrowArrayStream)(p), nil)
	if err != nil { // the importer released the stream
		return nil, &heddle.Error{Code: heddle.CodeInvalidInput, Message: fmt.Sprintf("the input ArrowArrayStream has no readable schema: %v", err)}
	}
	// arrio.Reader is all the signature promises; the reader is more.
	reader := imported.(interface {
		Read() (arrow.RecordBatch, error)
		Schema() *arrow.Schema
		Release()
	})
	defer reader.Release() // the batches outlive the stream
	schema := reader.Schema()
	var batches []arrow.RecordBatch
	for {
		b, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &heddle.Error{Code: heddle.CodeInvalidInput, Message: fmt.Sprintf("the input ArrowArrayStream failed mid-way: %v", err)}
		}
		b.Retain() // the reader releases its current batch on the next Read
		batches = append(batches, inPlace(b))
	}
	t, err := heddle.NewTable(schema, batches...)
	if err != nil {
		return nil, &heddle.Error{Code: heddle.CodeInvalidInput, Message: fmt.Sprintf("the input ArrowArrayStream is inconsistent: %v", err)}
	}
	return t, nil
}

// keeper is the allocator of the buffers of one imported batch: reachable
// while any of them is. Buffers are never allocated from it, and freeing one
// does nothing: the garbage collector decides (see inPlace).
type keeper struct{ rows int64 } // not zero-sized: a cleanup needs its own address

func (*keeper) Allocate(int) []byte {
	panic("heddle/native: an input buffer is the host's memory and cannot grow; copy it into a new array")
}
func (k *keeper) Reallocate(int, []byte) []byte { return k.Allocate(0) }
func (*keeper) Free([]byte)                     {}

// inPlace returns a batch with the same columns as the imported batch b,
// reading the same bytes, and arranges for b to be released (giving the
// host its memory back) once the returned batch's buffers are all garbage.
func inPlace(b arrow.RecordBatch) arrow.RecordBatch {
	k := &keeper{rows: b.NumRows()}
	cols := make([]arrow.Array, b.NumCols())
	for i, c := range b.Columns() {
		cols[i] = array.MakeFromData(rewrap(c.Data(), k))
	}
	runtime.AddCleanup(k, releaseImported, b)
	held.Add(1)
	return array.NewRecordBatch(b.Schema(), cols, b.NumRows())
}

// releaseImported gives an imported batch back to the host (its C release
// callback runs; the host accepts that on any thread).
func releaseImported(b arrow.RecordBatch) {
	b.Release()
	held.Add(-1)
}

// rewrap copies d's description (not its bytes) with buffers allocated "from" k.
// The new buffers keep their first reference forever, so a step that releases
// more than it retained cannot empty them.
func rewrap(d arrow.ArrayData, k *keeper) arrow.ArrayData {
	buffers := d.Buffers()
	bufs := make([]*memory.Buffer, len(buffers))
	for i, b := range buffers {
		if b != nil {
			bufs[i] = memory.NewBufferWithAllocator(b.Bytes(), k)
		}
	}
	children := make([]arrow.ArrayData, len(d.Children()))
	for i, c := range d.Children() {
		children[i] = rewrap(c, k)
	}
	out := array.NewData(d.DataType(), d.Len(), bufs, children, d.NullN(), d.Offset())
	if d.DataType().ID() == arrow.DICTIONARY { // the importer insists on one; elsewhere Dictionary() is a typed nil
		out.SetDictionary(rewrap(d.Dictionary(), k))
	}
	return out
}
