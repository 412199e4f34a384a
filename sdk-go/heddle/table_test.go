package heddle

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestRowsRoundTrip(t *testing.T) {
	ts := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	s := arrow.NewSchema([]arrow.Field{
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Millisecond}, Nullable: true},
	}, nil)
	in := []map[string]any{
		{"i32": 1, "i64": int64(1) << 40, "f64": 1.5, "s": "x", "b": true, "ts": ts},
		{"i32": nil, "i64": nil, "f64": nil, "s": nil, "b": nil, "ts": nil},
		{"i32": -3, "i64": 7, "f64": 2, "s": "", "b": false, "ts": "2026-11-22T10:00:00Z"},
	}
	tbl, err := TableFromRows(s, in)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"i32": int64(1), "i64": int64(1) << 40, "f64": 1.5, "s": "x", "b": true, "ts": ts},
		{"i32": nil, "i64": nil, "f64": nil, "s": nil, "b": nil, "ts": nil},
		{"i32": int64(-3), "i64": int64(7), "f64": 2.0, "s": "", "b": false, "ts": ts},
	}
	if got := tbl.ToRows(); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows\n got  %v\n want %v", got, want)
	}
	if tbl.NumRows() != 3 || tbl.ColumnIndex("s") != 3 || tbl.ColumnIndex("nope") != -1 {
		t.Errorf("NumRows %d", tbl.NumRows())
	}
}

func TestTableFromRowsRejectsWrongValues(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int8}}, nil)
	for _, v := range []any{300, "x", 1.5} {
		_, err := TableFromRows(s, []map[string]any{{"n": v}})
		if err == nil || !strings.Contains(err.Error(), `row 0, column "n"`) {
			t.Errorf("%v: %v", v, err)
		}
	}
}

func TestColumnOperationsShareBuffers(t *testing.T) {
	in := smallTable(t)
	idCol := in.Column(0)[0]
	field := arrow.Field{Name: "tag", Type: arrow.BinaryTypes.String}
	chunks, err := in.MapColumn(field, func(b arrow.RecordBatch) (arrow.Array, error) {
		sb := array.NewStringBuilder(memory.DefaultAllocator)
		defer sb.Release()
		for i := 0; i < int(b.NumRows()); i++ {
			sb.Append("t")
		}
		return sb.NewArray(), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	added, err := in.AddColumn(field, chunks)
	if err != nil {
		t.Fatal(err)
	}
	if added.Column(0)[0] != idCol {
		t.Error("AddColumn copied an unchanged column")
	}
	if len(added.Schema().Fields()) != 3 || len(in.Schema().Fields()) != 2 {
		t.Error("AddColumn changed its receiver or did not add")
	}
	replaced, err := added.SetColumn(1, field, chunks)
	if err != nil || replaced.Schema().Field(1).Name != "tag" {
		t.Fatalf("SetColumn: %v", err)
	}
	dropped, err := replaced.DropColumn(0)
	if err != nil || dropped.Schema().Field(0).Name != "tag" || dropped.NumRows() != 3 {
		t.Fatalf("DropColumn: %v", err)
	}
	if _, err := in.SetColumn(5, field, chunks); err == nil {
		t.Error("SetColumn out of range accepted")
	}
	if _, err := in.MapColumn(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64}, func(b arrow.RecordBatch) (arrow.Array, error) {
		return chunks[0], nil
	}); err == nil {
		t.Error("MapColumn accepted an array of the wrong type")
	}
}

func TestArrowRoundTrip(t *testing.T) {
	in := smallTable(t)
	back := TableFromArrow(in.Arrow())
	if !reflect.DeepEqual(back.ToRows(), in.ToRows()) || !back.Schema().Equal(in.Schema()) {
		t.Fatal("TableFromArrow(t.Arrow()) differs")
	}
	if (&Table{}).validOutput() == "" || in.validOutput() != "" {
		t.Error("validOutput")
	}
}

// smallTable is a 3-row table with an int64 and a utf8 column.
func smallTable(tb testing.TB) *Table {
	s := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "name", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	t, err := TableFromRows(s, []map[string]any{{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}})
	if err != nil {
		tb.Fatal(err)
	}
	return t
}
