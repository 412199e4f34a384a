package heddle

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestIPCRoundTrip(t *testing.T) {
	in := smallTable(t)
	data, err := EncodeIPC(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecodeIPC(data)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Schema().Equal(in.Schema()) || !reflect.DeepEqual(out.ToRows(), in.ToRows()) {
		t.Fatal("round trip changed the table")
	}
	again, _ := EncodeIPC(out)
	if &again[0] != &data[0] {
		t.Error("a decoded table sent back unchanged should reuse its bytes")
	}
	for _, bad := range [][]byte{nil, []byte("garbage"), data[:len(data)/2]} {
		if _, err := DecodeIPC(bad); err == nil {
			t.Errorf("DecodeIPC(%d bytes) accepted", len(bad))
		}
	}
}

func TestEncodeSchemaHoldsOnlyTheSchema(t *testing.T) {
	s := smallTable(t).Schema()
	r, err := ipc.NewReader(bytes.NewReader(EncodeSchema(s)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if !r.Schema().Equal(s) || r.Next() {
		t.Fatal("schema message wrong or followed by batches")
	}
	if EncodeSchema(nil) != nil {
		t.Error("nil schema")
	}
}

// bigTable has n batches of rows int64 values each.
func bigTable(t *testing.T, n, rows int) *Table {
	s := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	var batches []arrow.RecordBatch
	for b := 0; b < n; b++ {
		ib := array.NewInt64Builder(memory.DefaultAllocator)
		for i := 0; i < rows; i++ {
			ib.Append(int64(b*rows + i))
		}
		batches = append(batches, array.NewRecordBatch(s, []arrow.Array{ib.NewArray()}, int64(rows)))
		ib.Release()
	}
	tbl, err := NewTable(s, batches...)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func TestChunkedWriteCutsAtMessageBoundaries(t *testing.T) {
	tbl := bigTable(t, 10, 100_000) // 800 kB per batch
	var chunks [][]byte
	total, err := writeIPC(tbl, func(p []byte) error { chunks = append(chunks, append([]byte(nil), p...)); return nil }, MaxChunkBytes)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, c := range chunks {
		if len(c) > MaxChunkBytes {
			t.Fatalf("chunk of %d bytes", len(c))
		}
		all = append(all, c...)
	}
	if int64(len(all)) != total {
		t.Fatalf("total %d, chunks %d", total, len(all))
	}
	// Every chunk boundary must fall where a message ends.
	ends := map[int]bool{}
	cr := &countReader{r: bytes.NewReader(all)}
	mr := ipc.NewMessageReader(cr)
	for {
		_, err := mr.Message()
		ends[cr.n] = true
		if err != nil {
			break
		}
	}
	offset := 0
	for i, c := range chunks {
		offset += len(c)
		if !ends[offset] {
			t.Errorf("chunk %d ends inside a message", i)
		}
	}
	out, err := DecodeIPC(all)
	if err != nil || out.NumRows() != 1_000_000 {
		t.Fatalf("decoded %v rows, %v", out, err)
	}
}

func TestChunkedWriteSplitsHugeMessages(t *testing.T) {
	tbl := bigTable(t, 1, 1_000_000) // one 8 MB batch
	var sizes []int
	var all []byte
	if _, err := writeIPC(tbl, func(p []byte) error { sizes = append(sizes, len(p)); all = append(all, p...); return nil }, MaxChunkBytes); err != nil {
		t.Fatal(err)
	}
	for _, n := range sizes {
		if n > MaxChunkBytes {
			t.Fatalf("chunk of %d bytes", n)
		}
	}
	if out, err := DecodeIPC(all); err != nil || out.NumRows() != 1_000_000 {
		t.Fatalf("%v", err)
	}
}

type countReader struct {
	r *bytes.Reader
	n int
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
