package heddle

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Table is an Arrow table as steps receive and return it: one schema and the
// record batches that hold its rows. Tables are immutable; operations return
// new Tables that share the unchanged column buffers (no copies).
//
// The SDK allocates with Go's garbage-collected allocator, so calling
// Retain/Release on the batches is optional.
type Table struct {
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	rows    int64
	ipc     []byte // the IPC stream this table was decoded from, reused to send it back unchanged
}

// NewTable wraps record batches that share schema. It fails when a batch's
// schema differs from schema or schema is nil.
func NewTable(schema *arrow.Schema, batches ...arrow.RecordBatch) (*Table, error) {
	if schema == nil {
		return nil, fmt.Errorf("heddle: NewTable needs a schema")
	}
	t := &Table{schema: schema, batches: batches}
	for i, b := range batches {
		if !b.Schema().Equal(schema) {
			return nil, fmt.Errorf("heddle: batch %d has schema %v, the table's is %v", i, b.Schema(), schema)
		}
		t.rows += b.NumRows()
	}
	return t, nil
}

// TableFromArrow wraps an arrow.Table without copying its buffers (each run
// of aligned column chunks becomes one record batch). It never fails.
func TableFromArrow(tbl arrow.Table) *Table {
	reader := array.NewTableReader(tbl, -1)
	defer reader.Release()
	t := &Table{schema: tbl.Schema()}
	for reader.Next() {
		b := reader.RecordBatch()
		b.Retain()
		t.batches = append(t.batches, b)
		t.rows += b.NumRows()
	}
	return t
}

// Schema returns the table's Arrow schema (nil for a zero Table).
func (t *Table) Schema() *arrow.Schema { return t.schema }

// NumRows returns the number of rows over all batches.
func (t *Table) NumRows() int64 { return t.rows }

// Batches returns the record batches; callers must not modify the slice.
func (t *Table) Batches() []arrow.RecordBatch { return t.batches }

// Arrow returns the table as an arrow.Table sharing the same buffers.
func (t *Table) Arrow() arrow.Table { return array.NewTableFromRecords(t.schema, t.batches) }

// ColumnIndex returns the position of the first column called name, or -1.
func (t *Table) ColumnIndex(name string) int {
	if t.schema == nil {
		return -1
	}
	idx := t.schema.FieldIndices(name)
	if len(idx) == 0 {
		return -1
	}
	return idx[0]
}

// Column returns column i as one array per batch.
func (t *Table) Column(i int) []arrow.Array {
	out := make([]arrow.Array, len(t.batches))
	for j, b := range t.batches {
		out[j] = b.Column(i)
	}
	return out
}

// MapColumn builds a new column batch by batch: build receives each batch and
// returns the new column's array for it (as many rows as the batch).
// It fails when build fails or returns an array of the wrong length or type.
func (t *Table) MapColumn(field arrow.Field, build func(batch arrow.RecordBatch) (arrow.Array, error)) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(t.batches))
	for i, b := range t.batches {
		arr, err := build(b)
		if err != nil {
			return nil, err
		}
		if int64(arr.Len()) != b.NumRows() {
			return nil, fmt.Errorf("heddle: column %q has %d rows in batch %d, the batch has %d", field.Name, arr.Len(), i, b.NumRows())
		}
		if !arrow.TypeEqual(arr.DataType(), field.Type) {
			return nil, fmt.Errorf("heddle: column %q is declared %v but batch %d holds %v", field.Name, field.Type, i, arr.DataType())
		}
		out[i] = arr
	}
	return out, nil
}

// AddColumn returns the table with one more column at the end, given as one
// array per batch (see MapColumn). It fails when the chunks do not line up
// with the batches.
func (t *Table) AddColumn(field arrow.Field, chunks []arrow.Array) (*Table, error) {
	return t.SetColumn(len(t.schema.Fields()), field, chunks)
}

// SetColumn returns the table with column i replaced by field and chunks
// (one array per batch), or appended when i equals the column count. Other
// columns are shared, not copied. It fails when i is out of range or the
// chunks do not line up with the batches.
func (t *Table) SetColumn(i int, field arrow.Field, chunks []arrow.Array) (*Table, error) {
	n := len(t.schema.Fields())
	if i < 0 || i > n {
		return nil, fmt.Errorf("heddle: column index %d out of range (table has %d columns)", i, n)
	}
	if len(chunks) != len(t.batches) {
		return nil, fmt.Errorf("heddle: column %q has %d chunks, the table has %d batches", field.Name, len(chunks), len(t.batches))
	}
	fields := append([]arrow.Field(nil), t.schema.Fields()...)
	if i == n {
		fields = append(fields, field)
	} else {
		fields[i] = field
	}
	md := t.schema.Metadata()
	schema := arrow.NewSchema(fields, &md)
	out := &Table{schema: schema, rows: t.rows}
	for j, b := range t.batches {
		if int64(chunks[j].Len()) != b.NumRows() {
			return nil, fmt.Errorf("heddle: column %q has %d rows in batch %d, the batch has %d", field.Name, chunks[j].Len(), j, b.NumRows())
		}
		cols := append([]arrow.Array(nil), b.Columns()...)
		if i == n {
			cols = append(cols, chunks[j])
		} else {
			cols[i] = chunks[j]
		}
		out.batches = append(out.batches, array.NewRecordBatch(schema, cols, b.NumRows()))
	}
	return out, nil
}

// DropColumn returns the table without column i. It fails when i is out of range.
func (t *Table) DropColumn(i int) (*Table, error) {
	n := len(t.schema.Fields())
	if i < 0 || i >= n {
		return nil, fmt.Errorf("heddle: column index %d out of range (table has %d columns)", i, n)
	}
	fields := append(append([]arrow.Field(nil), t.schema.Fields()[:i]...), t.schema.Fields()[i+1:]...)
	md := t.schema.Metadata()
	schema := arrow.NewSchema(fields, &md)
	out := &Table{schema: schema, rows: t.rows}
	for _, b := range t.batches {
		cols := append(append([]arrow.Array(nil), b.Columns()[:i]...), b.Columns()[i+1:]...)
		out.batches = append(out.batches, array.NewRecordBatch(schema, cols, b.NumRows()))
	}
	return out, nil
}

// validOutput reports why t cannot be sent as a step's output, or "".
func (t *Table) validOutput() string {
	if t.schema == nil {
		return "a Table with no schema (a zero Table{}); build tables with NewTable, TableFromArrow or TableFromRows"
	}
	for i, b := range t.batches {
		if b == nil {
			return fmt.Sprintf("a Table whose batch %d is nil", i)
		}
	}
	return ""
}
