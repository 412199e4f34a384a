package native

// The C ABI's bodies called as the host calls them, with real Arrow C
// streams (made and read by arrow-go's cdata, as a C host would): describe,
// resources, invoke in place, every error code, cancellation and deadlines,
// and the input's memory given back once nothing uses it.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/cdata"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"github.com/heddle-host/heddle/sdk-go/heddle"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

type boxConfig struct {
	Value string `json:"value" heddle:"required,minLength=1"`
}

type box struct{ value string }

type tagConfig struct {
	heddle.StepConfig[*box]
	Column string `json:"column" heddle:"default=tag"`
}

type noConfig struct{}

// waiting is closed by the "wait" step once it runs.
var waiting = make(chan struct{}, 16)

func testPlugin() *heddle.Plugin {
	p := heddle.NewPlugin(heddle.Info{Namespace: "t", Version: "1.2.3"})
	heddle.Resource(p, "box", func(_ context.Context, c boxConfig) (*box, error) { return &box{c.Value}, nil })
	// tag appends a column holding the box's value: the other columns pass through.
	heddle.Step(p, "tag", func(ctx *heddle.StepContext, c tagConfig, in *heddle.Table) (*heddle.Table, error) {
		if in == nil {
			return nil, heddle.MissingInput(ctx)
		}
		field := arrow.Field{Name: c.Column, Type: arrow.BinaryTypes.String}
		chunks, err := in.MapColumn(field, func(b arrow.RecordBatch) (arrow.Array, error) {
			sb := array.NewStringBuilder(memory.DefaultAllocator)
			for i := int64(0); i < b.NumRows(); i++ {
				sb.Append(c.Resource().value)
			}
			return sb.NewArray(), nil
		})
		if err != nil {
			return nil, err
		}
		return in.AddColumn(field, chunks)
	}, heddle.UseResource("box"))
	heddle.Step(p, "echo", func(_ *heddle.StepContext, _ noConfig, in *heddle.Table) (*heddle.Table, error) { return in, nil })
	heddle.Step(p, "sink", func(_ *heddle.StepContext, _ noConfig, _ *heddle.Table) (*heddle.Table, error) { return nil, nil })
	heddle.Step(p, "fail", func(_ *heddle.StepContext, _ noConfig, _ *heddle.Table) (*heddle.Table, error) {
		return nil, errors.New("the step gave up")
	})
	heddle.Step(p, "boom", func(_ *heddle.StepContext, _ noConfig, _ *heddle.Table) (*heddle.Table, error) { panic("kaboom") })
	heddle.Step(p, "wait", func(ctx *heddle.StepContext, _ noConfig, _ *heddle.Table) (*heddle.Table, error) {
		waiting <- struct{}{}
		<-ctx.Done()
		return nil, nil
	}, heddle.NoInput())
	return p
}

func TestMain(m *testing.M) {
	Export(testPlugin)
	os.Exit(m.Run())
}

func arg(s string) cArg { return cArg{value: s, set: true} }

// wireError is an error JSON as the host reads it.
type wireError struct {
	Code, Message, Component, Field, Stack string
}

func decodeError(t *testing.T, text string) wireError {
	t.Helper()
	var e wireError
	if err := json.Unmarshal([]byte(text), &e); err != nil || e.Code == "" || e.Message == "" {
		t.Fatalf("not an error JSON with code and message: %q (%v)", text, err)
	}
	return e
}

// exported returns a C stream of the table's batches (as a host makes one).
func exported(t *testing.T, tbl *heddle.Table) *cdata.CArrowArrayStream {
	t.Helper()
	reader, err := array.NewRecordReader(tbl.Schema(), tbl.Batches())
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Release()
	stream := new(cdata.CArrowArrayStream)
	cdata.ExportRecordReader(reader, stream)
	return stream
}

// imported reads every batch of the output stream (retained: release them).
func imported(t *testing.T, out *cdata.CArrowArrayStream) []arrow.RecordBatch {
	t.Helper()
	r, err := cdata.ImportCRecordReader(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.(interface{ Release() }).Release()
	var batches []arrow.RecordBatch
	for {
		b, err := r.Read()
		if errors.Is(err, io.EOF) {
			return batches
		}
		if err != nil {
			t.Fatal(err)
		}
		b.Retain()
		batches = append(batches, b)
	}
}

func credentials(t *testing.T, mem memory.Allocator, rows int) *heddle.Table {
	t.Helper()
	b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil))
	defer b.Release()
	for i := 0; i < rows; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
	}
	rec := b.NewRecordBatch()
	tbl, err := heddle.NewTable(rec.Schema(), rec)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func openBox(t *testing.T) string {
	t.Helper()
	id, errJSON := openResource(arg("box"), arg(`{"value":"v"}`))
	if errJSON != "" {
		t.Fatal(errJSON)
	}
	return id
}

func TestDescribeIsTheManifestAsProtobufJSON(t *testing.T) {
	text, ok := describe()
	if !ok {
		t.Fatal(text)
	}
	var keys map[string]any
	if err := json.Unmarshal([]byte(text), &keys); err != nil {
		t.Fatal(err)
	}
	steps := keys["steps"].([]any)
	first := steps[0].(map[string]any)
	for _, k := range []string{"name", "description", "configSchemaJson", "resources", "inputSchema", "outputSchema", "takesInput"} {
		if _, ok := first[k]; !ok {
			t.Errorf("step JSON lacks %q (every field is written, as by the Rust SDK): %v", k, first)
		}
	}
	var m pluginv1.Manifest
	if err := protojson.Unmarshal([]byte(text), &m); err != nil {
		t.Fatal(err)
	}
	p, _ := plugin()
	if !proto.Equal(&m, p.Manifest()) {
		t.Fatalf("decoded manifest differs:\n%v\n%v", &m, p.Manifest())
	}
}

func TestInvokeReadsAndAnswersInPlace(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	input := credentials(t, mem, 1000)
	idBuffer := input.Batches()[0].Column(0).Data().Buffers()[1].Bytes()
	in := exported(t, input)
	for _, b := range input.Batches() {
		b.Release() // the stream holds the input now
	}
	box := openBox(t)
	out := new(cdata.CArrowArrayStream)
	errJSON := invoke(invokeArgs{step: arg("tag"), config: arg(`{"column":"who"}`), resources: arg(`{"box":"` + box + `"}`),
		in: unsafe.Pointer(in), out: unsafe.Pointer(out)})
	if errJSON != "" {
		t.Fatal(errJSON)
	}
	if (*cStream)(unsafe.Pointer(in)).release != nil {
		t.Fatal("the input stream was not taken over (its release is still set)")
	}
	batches := imported(t, out)
	if len(batches) != 1 || batches[0].NumCols() != 2 || batches[0].ColumnName(1) != "who" {
		t.Fatalf("output %v", batches)
	}
	got := batches[0].Column(0).Data().Buffers()[1].Bytes()
	if &got[0] != &idBuffer[0] {
		t.Fatal("the id column was copied: the output should point at the input's own bytes")
	}
	if v := batches[0].Column(1).(*array.String).Value(999); v != "v" {
		t.Fatalf("tag %q", v)
	}
	for _, b := range batches {
		b.Release()
	}
	// Nothing uses the input any more: the plugin gives it back (its C release runs).
	for i := 0; i < 200 && mem.CurrentAlloc() != 0; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if n := mem.CurrentAlloc(); n != 0 {
		t.Fatalf("%d bytes of input still held after the output was released", n)
	}
}

func TestSinkEchoAndNoInput(t *testing.T) {
	out := new(cdata.CArrowArrayStream)
	if errJSON := invoke(invokeArgs{step: arg("sink"), in: unsafe.Pointer(exported(t, credentials(t, memory.DefaultAllocator, 3))), out: unsafe.Pointer(out)}); errJSON != "" {
		t.Fatal(errJSON)
	}
	if (*cStream)(unsafe.Pointer(out)).release != nil {
		t.Fatal("a sink must leave out->release NULL")
	}
	input := credentials(t, memory.DefaultAllocator, 3)
	if errJSON := invoke(invokeArgs{step: arg("echo"), in: unsafe.Pointer(exported(t, input)), out: unsafe.Pointer(out)}); errJSON != "" {
		t.Fatal(errJSON)
	}
	batches := imported(t, out)
	if len(batches) != 1 || batches[0].NumRows() != 3 {
		t.Fatalf("echo gave %v", batches)
	}
	errJSON := invoke(invokeArgs{step: arg("tag"), resources: arg(`{"box":"` + openBox(t) + `"}`), out: unsafe.Pointer(out)})
	if e := decodeError(t, errJSON); e.Code != "INVALID_INPUT" || e.Component != "t.tag" {
		t.Fatalf("no input: %+v", e)
	}
}

func TestErrorCodes(t *testing.T) {
	box := openBox(t)
	out := unsafe.Pointer(new(cdata.CArrowArrayStream))
	cases := []struct {
		name      string
		args      invokeArgs
		code      string
		component string
	}{
		{"unknown step", invokeArgs{step: arg("nope")}, "UNKNOWN_STEP", "t.nope"},
		{"invalid config", invokeArgs{step: arg("tag"), config: arg(`{"column":7}`), resources: arg(`{"box":"` + box + `"}`)}, "INVALID_CONFIG", "t.tag"},
		{"missing resource", invokeArgs{step: arg("tag")}, "MISSING_RESOURCE", "t.tag"},
		{"resource not open", invokeArgs{step: arg("tag"), resources: arg(`{"box":"box-999"}`)}, "RESOURCE_NOT_OPEN", "t.tag"},
		{"step error", invokeArgs{step: arg("fail")}, "STEP_FAILED", "t.fail"},
		{"step panic", invokeArgs{step: arg("boom")}, "STEP_FAILED", "t.boom"},
		{"null step", invokeArgs{}, "INVALID_INPUT", ""},
		{"bad resources", invokeArgs{step: arg("echo"), resources: arg(`[1]`)}, "INVALID_INPUT", ""},
		{"bad UTF-8", invokeArgs{step: arg("echo"), config: arg("\xff")}, "INVALID_INPUT", ""},
	}
	for _, c := range cases {
		c.args.out = out
		e := decodeError(t, invoke(c.args))
		if e.Code != c.code || e.Component != c.component {
			t.Errorf("%s: got %+v, want %s on %q", c.name, e, c.code, c.component)
		}
	}
	if e := decodeError(t, invoke(invokeArgs{step: arg("invalid")})); e.Code != "INVALID_INPUT" {
		t.Errorf("null out: %+v", e)
	}
	if e := decodeError(t, invoke(invokeArgs{step: arg("tag"), config: arg(`{"column":7}`), out: out})); e.Field != "/column" {
		t.Errorf("INVALID_CONFIG names no field: %+v", e)
	}
	if e := decodeError(t, invoke(invokeArgs{step: arg("boom"), out: out})); e.Stack == "" || e.Message != "panic: kaboom" {
		t.Errorf("a panic should come with its message and stack: %+v", e)
	}
	_, errJSON := openResource(arg("safe"), arg("{}"))
	if e := decodeError(t, errJSON); e.Code != "UNKNOWN_RESOURCE" {
		t.Errorf("unknown resource: %+v", e)
	}
	_, errJSON = openResource(arg("box"), cArg{})
	if e := decodeError(t, errJSON); e.Code != "INVALID_CONFIG" || e.Component != "t.box" {
		t.Errorf("config null = {} lacks the required value: %+v", e)
	}
	if errJSON := closeResource(arg(box)); errJSON != "" {
		t.Fatal(errJSON)
	}
	if e := decodeError(t, closeResource(arg(box))); e.Code != "RESOURCE_NOT_OPEN" {
		t.Errorf("closing twice: %+v", e)
	}
}

func TestCancelFlagAndDeadline(t *testing.T) {
	out := unsafe.Pointer(new(cdata.CArrowArrayStream))
	for _, c := range []struct {
		set  int32
		code string
	}{{cancelCancelled, "CANCELLED"}, {cancelDeadline, "DEADLINE_EXCEEDED"}} {
		var flag atomic.Int32
		go func() {
			<-waiting // the step runs: now cancel it
			flag.Store(c.set)
		}()
		e := decodeError(t, invoke(invokeArgs{step: arg("wait"), out: out, cancel: (*int32)(unsafe.Pointer(&flag))}))
		if e.Code != c.code || e.Component != "t.wait" {
			t.Errorf("*cancel = %d: got %+v, want %s", c.set, e, c.code)
		}
	}
	preset := int32(cancelCancelled) // set before the call: even a step that is done at once never answers
	e := decodeError(t, invoke(invokeArgs{step: arg("echo"), in: unsafe.Pointer(exported(t, credentials(t, memory.DefaultAllocator, 3))), out: out, cancel: &preset}))
	if e.Code != "CANCELLED" || (*cStream)(out).release != nil {
		t.Errorf("flag set before the call: got %+v", e)
	}
	go func() { <-waiting }()
	var flag int32
	e = decodeError(t, invoke(invokeArgs{step: arg("wait"), out: out, cancel: &flag, deadlineMs: 20}))
	if e.Code != "DEADLINE_EXCEEDED" {
		t.Errorf("deadline_ms: got %+v", e)
	}
}
