package main

import (
	"errors"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/heddle-host/heddle/sdk-go/heddle"
)

func echo(_ *heddle.StepContext, _ Empty, input *heddle.Table) (*heddle.Table, error) {
	return input, nil
}

// AddColumnConfig is {name: string, value: string}, both required.
type AddColumnConfig struct {
	Name  string `json:"name" heddle:"required" description:"the new column's name"`
	Value string `json:"value" heddle:"required" description:"the value on every row"`
}

func addColumn(ctx *heddle.StepContext, cfg AddColumnConfig, input *heddle.Table) (*heddle.Table, error) {
	if input == nil {
		return nil, heddle.MissingInput(ctx)
	}
	field := arrow.Field{Name: cfg.Name, Type: arrow.BinaryTypes.String, Nullable: true}
	chunks, err := input.MapColumn(field, func(b arrow.RecordBatch) (arrow.Array, error) {
		sb := array.NewStringBuilder(memory.DefaultAllocator)
		defer sb.Release()
		sb.Reserve(int(b.NumRows()))
		for i := int64(0); i < b.NumRows(); i++ {
			sb.Append(cfg.Value)
		}
		return sb.NewArray(), nil
	})
	if err != nil {
		return nil, err
	}
	return input.AddColumn(field, chunks)
}

// ScaleConfig is {column: string, factor: number}, both required.
type ScaleConfig struct {
	Column string  `json:"column" heddle:"required" description:"the numeric column to scale"`
	Factor float64 `json:"factor" heddle:"required" description:"what to multiply it by"`
}

func scale(ctx *heddle.StepContext, cfg ScaleConfig, input *heddle.Table) (*heddle.Table, error) {
	if input == nil {
		return nil, heddle.MissingInput(ctx)
	}
	idx := input.ColumnIndex(cfg.Column)
	if idx < 0 {
		return nil, heddle.Errorf(heddle.CodeInvalidInput, "the input has no column %q to scale", cfg.Column)
	}
	field := arrow.Field{Name: cfg.Column, Type: arrow.PrimitiveTypes.Float64, Nullable: true}
	chunks, err := input.MapColumn(field, func(b arrow.RecordBatch) (arrow.Array, error) {
		return scaled(b.Column(idx), cfg.Factor)
	})
	if err != nil {
		return nil, err
	}
	return input.SetColumn(idx, field, chunks)
}

func scaled(col arrow.Array, factor float64) (arrow.Array, error) {
	fb := array.NewFloat64Builder(memory.DefaultAllocator)
	defer fb.Release()
	fb.Reserve(col.Len())
	for i := 0; i < col.Len(); i++ {
		if col.IsNull(i) {
			fb.AppendNull()
			continue
		}
		var v float64
		switch c := col.(type) {
		case *array.Int8:
			v = float64(c.Value(i))
		case *array.Int16:
			v = float64(c.Value(i))
		case *array.Int32:
			v = float64(c.Value(i))
		case *array.Int64:
			v = float64(c.Value(i))
		case *array.Uint8:
			v = float64(c.Value(i))
		case *array.Uint16:
			v = float64(c.Value(i))
		case *array.Uint32:
			v = float64(c.Value(i))
		case *array.Uint64:
			v = float64(c.Value(i))
		case *array.Float32:
			v = float64(c.Value(i))
		case *array.Float64:
			v = c.Value(i)
		default:
			return nil, heddle.Errorf(heddle.CodeInvalidInput, "column is %v, not a number", col.DataType())
		}
		fb.Append(v * factor)
	}
	return fb.NewArray(), nil
}

// CountConfig is {} and receives the bound counter.
type CountConfig struct {
	heddle.StepConfig[*Counter]
}

func count(ctx *heddle.StepContext, cfg CountConfig, input *heddle.Table) (*heddle.Table, error) {
	var rows int64
	if input != nil {
		rows = input.NumRows()
	}
	total := cfg.Resource().Add(rows)
	return heddle.TableFromRows(schemaOf(arrow.Field{Name: "total", Type: arrow.PrimitiveTypes.Int64}),
		[]map[string]any{{"total": total}})
}

// GenerateConfig is {rows: integer ≥ 0}, required.
type GenerateConfig struct {
	Rows int64 `json:"rows" heddle:"required,minimum=0" description:"how many rows to output"`
}

var generateSchema = schemaOf(
	arrow.Field{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	arrow.Field{Name: "label", Type: arrow.BinaryTypes.String},
)

// generateBatchRows bounds each batch so big outputs stream batch by batch.
const generateBatchRows = 64 * 1024

func generate(ctx *heddle.StepContext, cfg GenerateConfig, _ *heddle.Table) (*heddle.Table, error) {
	var batches []arrow.RecordBatch
	for start := int64(0); start < cfg.Rows; start += generateBatchRows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := array.NewRecordBuilder(memory.DefaultAllocator, generateSchema)
		ids := b.Field(0).(*array.Int64Builder)
		labels := b.Field(1).(*array.StringBuilder)
		for id := start; id < min(start+generateBatchRows, cfg.Rows); id++ {
			ids.Append(id)
			labels.Append("row-" + strconv.FormatInt(id, 10))
		}
		batches = append(batches, b.NewRecordBatch())
		b.Release()
	}
	return heddle.NewTable(generateSchema, batches...)
}

// FailConfig is {message?: string = "failed on purpose"}.
type FailConfig struct {
	Message string `json:"message" heddle:"default=failed on purpose"`
}

func fail(_ *heddle.StepContext, cfg FailConfig, _ *heddle.Table) (*heddle.Table, error) {
	return nil, errors.New(cfg.Message)
}

func failTyped(*heddle.StepContext, Empty, *heddle.Table) (*heddle.Table, error) {
	return nil, heddle.NewError(heddle.CodeInvalidInput, "typed failure")
}

// SleepConfig is {ms: integer ≥ 0}, required.
type SleepConfig struct {
	Ms int64 `json:"ms" heddle:"required,minimum=0" description:"how long to wait, in milliseconds"`
}

func sleep(ctx *heddle.StepContext, cfg SleepConfig, _ *heddle.Table) (*heddle.Table, error) {
	start := time.Now()
	timer := time.NewTimer(time.Duration(cfg.Ms) * time.Millisecond)
	defer timer.Stop()
	select { // Done closes the moment the call is cancelled: no polling needed
	case <-ctx.Done():
	case <-timer.C:
	}
	return heddle.TableFromRows(schemaOf(arrow.Field{Name: "slept_ms", Type: arrow.PrimitiveTypes.Int64}),
		[]map[string]any{{"slept_ms": time.Since(start).Milliseconds()}})
}

func badOutput(*heddle.StepContext, Empty, *heddle.Table) (*heddle.Table, error) {
	return &heddle.Table{}, nil // a zero Table holds no Arrow data: not a table
}

// LogConfig is {message: string}, required.
type LogConfig struct {
	Message string `json:"message" heddle:"required" description:"what to log"`
}

func logMessage(ctx *heddle.StepContext, cfg LogConfig, input *heddle.Table) (*heddle.Table, error) {
	ctx.Logger.Info(cfg.Message, "step", "log")
	return input, nil
}

// StrictConfig is {name: string, count: integer ≥ 1, mode?: "a" | "b" = "a"}.
type StrictConfig struct {
	Name  string `json:"name" heddle:"required"`
	Count int64  `json:"count" heddle:"required,minimum=1"`
	Mode  string `json:"mode" heddle:"enum=a|b,default=a"`
}

var strictSchema = schemaOf(
	arrow.Field{Name: "name", Type: arrow.BinaryTypes.String},
	arrow.Field{Name: "count", Type: arrow.PrimitiveTypes.Int64},
	arrow.Field{Name: "mode", Type: arrow.BinaryTypes.String},
)

func strict(_ *heddle.StepContext, cfg StrictConfig, _ *heddle.Table) (*heddle.Table, error) {
	return heddle.TableFromRows(strictSchema, []map[string]any{{"name": cfg.Name, "count": cfg.Count, "mode": cfg.Mode}})
}

func recordErrors(_ *heddle.StepContext, _ Empty, errs *heddle.Table) (*heddle.Table, error) {
	return errs, nil
}
