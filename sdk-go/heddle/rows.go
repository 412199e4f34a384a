package heddle

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TableFromRows builds a one-batch table of the given schema from rows given
// as maps from column name to value. A missing key or nil is a null. Values
// may be any Go integer or float, json.Number, string, bool, []byte or
// time.Time (for timestamp columns; an RFC 3339 string or an int64 in the
// column's unit also works). It fails naming the row and column of a value
// that does not fit its column's type, or for column types it cannot build
// (use arrow builders directly for those).
func TableFromRows(schema *arrow.Schema, rows []map[string]any) (*Table, error) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for r, row := range rows {
		for c, f := range schema.Fields() {
			if err := appendValue(b.Field(c), row[f.Name]); err != nil {
				return nil, fmt.Errorf("heddle: row %d, column %q (%v): %w", r, f.Name, f.Type, err)
			}
		}
	}
	return NewTable(schema, b.NewRecordBatch())
}

// ToRows returns the table's rows as maps from column name to value: integers
// as int64 (uint64 as uint64), floats as float64, strings, bools, []byte,
// timestamps as time.Time (UTC), nulls as nil and other types as their text.
// Meant for tests and small tables: it copies every value.
func (t *Table) ToRows() []map[string]any {
	rows := make([]map[string]any, 0, t.rows)
	if t.schema == nil {
		return rows
	}
	fields := t.schema.Fields()
	for _, b := range t.batches {
		for i := 0; i < int(b.NumRows()); i++ {
			row := make(map[string]any, len(fields))
			for c, f := range fields {
				row[f.Name] = valueAt(b.Column(c), i)
			}
			rows = append(rows, row)
		}
	}
	return rows
}

func valueAt(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Uint8:
		return int64(a.Value(i))
	case *array.Uint16:
		return int64(a.Value(i))
	case *array.Uint32:
		return int64(a.Value(i))
	case *array.Uint64:
		return a.Value(i)
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.Binary:
		return append([]byte(nil), a.Value(i)...)
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return a.Value(i).ToTime(unit)
	}
	return arr.ValueStr(i)
}

func appendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	switch bb := b.(type) {
	case *array.Int8Builder:
		return appendInt(v, math.MinInt8, math.MaxInt8, func(n int64) { bb.Append(int8(n)) })
	case *array.Int16Builder:
		return appendInt(v, math.MinInt16, math.MaxInt16, func(n int64) { bb.Append(int16(n)) })
	case *array.Int32Builder:
		return appendInt(v, math.MinInt32, math.MaxInt32, func(n int64) { bb.Append(int32(n)) })
	case *array.Int64Builder:
		return appendInt(v, math.MinInt64, math.MaxInt64, bb.Append)
	case *array.Uint8Builder:
		return appendInt(v, 0, math.MaxUint8, func(n int64) { bb.Append(uint8(n)) })
	case *array.Uint16Builder:
		return appendInt(v, 0, math.MaxUint16, func(n int64) { bb.Append(uint16(n)) })
	case *array.Uint32Builder:
		return appendInt(v, 0, math.MaxUint32, func(n int64) { bb.Append(uint32(n)) })
	case *array.Uint64Builder:
		if u, ok := v.(uint64); ok {
			bb.Append(u)
			return nil
		}
		return appendInt(v, 0, math.MaxInt64, func(n int64) { bb.Append(uint64(n)) })
	case *array.Float32Builder:
		f, err := toFloat(v)
		bb.Append(float32(f))
		return err
	case *array.Float64Builder:
		f, err := toFloat(v)
		bb.Append(f)
		return err
	case *array.StringBuilder:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want a string, got %T", v)
		}
		bb.Append(s)
	case *array.LargeStringBuilder:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want a string, got %T", v)
		}
		bb.Append(s)
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return fmt.Errorf("want a bool, got %T", v)
		}
		bb.Append(x)
	case *array.BinaryBuilder:
		x, ok := v.([]byte)
		if !ok {
			return fmt.Errorf("want []byte, got %T", v)
		}
		bb.Append(x)
	case *array.TimestampBuilder:
		return appendTimestamp(bb, v)
	default:
		return fmt.Errorf("TableFromRows cannot build %T columns; use arrow builders", b)
	}
	return nil
}

func appendInt(v any, lo, hi int64, add func(int64)) error {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int8:
		n = int64(x)
	case int16:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case uint:
		n = int64(x)
	case uint8:
		n = int64(x)
	case uint16:
		n = int64(x)
	case uint32:
		n = int64(x)
	case uint64:
		if x > math.MaxInt64 {
			return fmt.Errorf("%d is out of range", x)
		}
		n = int64(x)
	case float64:
		if x != math.Trunc(x) {
			return fmt.Errorf("%v is not an integer", x)
		}
		n = int64(x)
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return fmt.Errorf("%s is not an integer", x)
		}
		n = i
	default:
		return fmt.Errorf("want an integer, got %T", v)
	}
	if n < lo || n > hi {
		return fmt.Errorf("%d is out of range [%d, %d]", n, lo, hi)
	}
	add(n)
	return nil
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case json.Number:
		return x.Float64()
	}
	var n int64
	if err := appendInt(v, math.MinInt64, math.MaxInt64, func(i int64) { n = i }); err != nil {
		return 0, fmt.Errorf("want a number, got %T", v)
	}
	return float64(n), nil
}

func appendTimestamp(b *array.TimestampBuilder, v any) error {
	unit := b.Type().(*arrow.TimestampType).Unit
	switch x := v.(type) {
	case time.Time:
		ts, err := arrow.TimestampFromTime(x, unit)
		if err != nil {
			return err
		}
		b.Append(ts)
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return fmt.Errorf("want an RFC 3339 time, got %q", x)
		}
		return appendTimestamp(b, t)
	default:
		return appendInt(v, math.MinInt64, math.MaxInt64, func(n int64) { b.Append(arrow.Timestamp(n)) })
	}
	return nil
}
