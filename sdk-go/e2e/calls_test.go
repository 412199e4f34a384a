package e2e

import (
	"encoding/json"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"github.com/heddle-host/heddle/sdk-go/heddle"
)

// call is one Invoke as a test describes it.
type call struct {
	step      string
	config    any
	resources map[string]string
	input     *heddle.Table
	callID    string
	timeoutMs uint64
	shmInput  *pluginv1.SharedMemoryRef // input = shm instead of input
	shmOutput uint64                    // shm_output_threshold
	then      []*pluginv1.InvokeStage   // fused stages (protocol §5.4)
}

func (c call) header(t testing.TB) *pluginv1.InvokeHeader {
	t.Helper()
	cfg := "{}"
	if c.config != nil {
		b, err := json.Marshal(c.config)
		if err != nil {
			t.Fatal(err)
		}
		cfg = string(b)
	}
	id := c.callID
	if id == "" {
		id = "call-" + c.step
	}
	h := &pluginv1.InvokeHeader{CallId: id, Step: c.step, ConfigJson: cfg, Resources: c.resources, TimeoutMs: c.timeoutMs,
		ShmOutputThreshold: c.shmOutput, Then: c.then}
	if c.shmInput != nil {
		h.Input = &pluginv1.DataRef{Kind: &pluginv1.DataRef_Shm{Shm: c.shmInput}}
	}
	if c.input != nil {
		data, err := heddle.EncodeIPC(c.input)
		if err != nil {
			t.Fatal(err)
		}
		h.Input = &pluginv1.DataRef{Kind: &pluginv1.DataRef_Inline{Inline: &pluginv1.InlineTable{Ipc: data, NumRows: uint64(c.input.NumRows())}}}
	}
	return h
}

// invoke makes a unary Invoke and fails the test on a transport error.
func (p *proc) invoke(t testing.TB, c call) *pluginv1.InvokeResponse {
	t.Helper()
	resp, err := p.plugin.Invoke(ctx(t), &pluginv1.InvokeRequest{Header: c.header(t)})
	if err != nil {
		t.Fatalf("Invoke %s: %v", c.step, err)
	}
	return resp
}

// invokeOK makes a unary Invoke that must succeed and returns its output rows.
func (p *proc) invokeOK(t testing.TB, c call) *heddle.Table {
	t.Helper()
	resp := p.invoke(t, c)
	if resp.GetError() != nil {
		t.Fatalf("Invoke %s failed: %v", c.step, resp.GetError())
	}
	if resp.GetOutput() == nil {
		return nil
	}
	out, err := heddle.DecodeIPC(resp.GetOutput().GetInline().GetIpc())
	if err != nil {
		t.Fatalf("Invoke %s: output is not Arrow IPC: %v", c.step, err)
	}
	if got := resp.GetOutput().GetInline().GetNumRows(); got != uint64(out.NumRows()) {
		t.Errorf("num_rows says %d, the table has %d", got, out.NumRows())
	}
	return out
}

// invokeErr makes a unary Invoke that must fail with code and returns the error.
func (p *proc) invokeErr(t testing.TB, c call, code heddle.Code) *pluginv1.Error {
	t.Helper()
	resp := p.invoke(t, c)
	e := resp.GetError()
	if e == nil {
		t.Fatalf("Invoke %s succeeded, want %s", c.step, code)
	}
	if e.GetCode() != code.Proto() {
		t.Fatalf("Invoke %s: code %v (%s), want %s", c.step, e.GetCode(), e.GetMessage(), code)
	}
	if e.GetMessage() == "" {
		t.Errorf("Invoke %s: %s has an empty message", c.step, code)
	}
	if resp.GetOutput() != nil {
		t.Errorf("Invoke %s: a failed call also carries an output", c.step)
	}
	return e
}

// open opens a resource instance that must open and returns its id.
func (p *proc) open(t testing.TB, kind string, config map[string]any) string {
	t.Helper()
	if config == nil {
		config = map[string]any{}
	}
	b, _ := json.Marshal(config)
	resp, err := p.plugin.OpenResource(ctx(t), &pluginv1.OpenResourceRequest{Resource: kind, ConfigJson: string(b)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetError() != nil {
		t.Fatalf("OpenResource %s: %v", kind, resp.GetError())
	}
	return resp.GetInstanceId()
}

func schema(fields ...arrow.Field) *arrow.Schema { return arrow.NewSchema(fields, nil) }

func field(name string, t arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: t, Nullable: true}
}

func table(t testing.TB, s *arrow.Schema, rows ...map[string]any) *heddle.Table {
	t.Helper()
	tbl, err := heddle.TableFromRows(s, rows)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

var (
	int64T   = arrow.PrimitiveTypes.Int64
	float64T = arrow.PrimitiveTypes.Float64
	utf8T    = arrow.BinaryTypes.String
)

// sameRows compares tables by value, row by row.
func sameRows(t testing.TB, got *heddle.Table, want []map[string]any) {
	t.Helper()
	if got == nil {
		t.Fatalf("no output table, want %d rows", len(want))
	}
	rows := got.ToRows()
	a, _ := json.Marshal(rows)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Fatalf("rows differ:\n got  %s\n want %s", a, b)
	}
}

// columns lists a schema as "name:type" strings.
func columns(s *arrow.Schema) []string {
	var out []string
	for _, f := range s.Fields() {
		out = append(out, f.Name+":"+f.Type.String())
	}
	return out
}
