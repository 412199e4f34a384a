package e2e

import (
	"encoding/json"
	"testing"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"github.com/heddle-host/heddle/sdk-go/heddle"
)

// Fused calls (protocol §5.4) against the real conformance plugin process: a
// step plus InvokeHeader.then stages in one call. That a stage gets the very
// *Table the previous step returned is proven in heddle/fused_test.go.

// stage builds one InvokeStage.
func stage(t testing.TB, step string, config any, resources map[string]string) *pluginv1.InvokeStage {
	t.Helper()
	cfg := "{}"
	if config != nil {
		b, err := json.Marshal(config)
		if err != nil {
			t.Fatal(err)
		}
		cfg = string(b)
	}
	return &pluginv1.InvokeStage{Step: step, ConfigJson: cfg, Resources: resources}
}

func scores(t testing.TB) *heddle.Table {
	return table(t, schema(field("id", int64T), field("score", float64T)),
		map[string]any{"id": int64(1), "score": 1.5}, map[string]any{"id": int64(2), "score": 2.0}, map[string]any{"id": int64(3), "score": nil})
}

func TestFusedEqualsSeparateCalls(t *testing.T) {
	p := start(t, conformanceBin)
	first := map[string]any{"name": "first", "value": "x"}
	scale := map[string]any{"column": "score", "factor": 10}
	second := map[string]any{"name": "second", "value": "y"}
	separate := p.invokeOK(t, call{step: "add_column", config: first, input: scores(t)})
	separate = p.invokeOK(t, call{step: "scale", config: scale, input: separate})
	separate = p.invokeOK(t, call{step: "add_column", config: second, input: separate})
	then := []*pluginv1.InvokeStage{stage(t, "scale", scale, nil), stage(t, "add_column", second, nil)}
	fused := p.invokeOK(t, call{step: "add_column", config: first, input: scores(t), then: then})
	sameRows(t, fused, separate.ToRows())
	sameRows(t, fused, []map[string]any{
		{"id": 1, "score": 15, "first": "x", "second": "y"},
		{"id": 2, "score": 20, "first": "x", "second": "y"},
		{"id": 3, "score": nil, "first": "x", "second": "y"},
	})

	s := p.invokeStream(t, call{step: "add_column", config: first, input: scores(t), then: then}, 1<<20)
	sameRows(t, s.table(t), separate.ToRows())
}

func TestFusedOutputByHandle(t *testing.T) {
	dir := shmDir(t)
	p, _ := startShm(t, dir)
	resp := p.invoke(t, call{step: "generate", config: map[string]any{"rows": 1000}, shmOutput: 1,
		then: []*pluginv1.InvokeStage{stage(t, "add_column", map[string]any{"name": "tag", "value": "t"}, nil)}})
	ref := resp.GetOutput().GetShm()
	if resp.GetError() != nil || ref == nil {
		t.Fatalf("want the last stage's output by handle, got %v", resp)
	}
	mappedSegment(t, ref, func(tbl *heddle.Table) {
		rows := tbl.ToRows()
		if len(rows) != 1000 || rows[999]["label"] != "row-999" || rows[999]["tag"] != "t" {
			t.Errorf("segment rows: %d, last %v", len(rows), rows[len(rows)-1])
		}
	})
}

func TestFusedStageWithResource(t *testing.T) {
	p := start(t, conformanceBin)
	counter := p.open(t, "counter", map[string]any{"start": 5})
	then := []*pluginv1.InvokeStage{stage(t, "count", nil, map[string]string{"counter": counter})}
	sameRows(t, p.invokeOK(t, call{step: "generate", config: map[string]any{"rows": 4}, then: then}), []map[string]any{{"total": 9}})
	sameRows(t, p.invokeOK(t, call{step: "generate", config: map[string]any{"rows": 2}, then: then}), []map[string]any{{"total": 11}})
}

func TestFusedErrorsNameTheStage(t *testing.T) {
	p := start(t, conformanceBin)
	t.Run("exception in stage 2", func(t *testing.T) {
		e := p.invokeErr(t, call{step: "echo", input: scores(t),
			then: []*pluginv1.InvokeStage{stage(t, "fail", map[string]any{"message": "stage two broke"}, nil), stage(t, "echo", nil, nil)}}, heddle.CodeStepFailed)
		if e.GetComponent() != "fail" || e.GetMessage() != "stage two broke" {
			t.Errorf("error %v", e)
		}
	})
	t.Run("bad config in stage 3 before anything runs", func(t *testing.T) {
		counter := p.open(t, "counter", nil)
		e := p.invokeErr(t, call{step: "echo", input: scores(t), then: []*pluginv1.InvokeStage{
			stage(t, "count", nil, map[string]string{"counter": counter}),
			stage(t, "scale", map[string]any{"column": "score", "factor": "ten"}, nil)}}, heddle.CodeInvalidConfig)
		if e.GetComponent() != "scale" || e.GetField() != "/factor" {
			t.Errorf("error %v", e)
		}
		// Nothing ran: the counter is still at 0.
		sameRows(t, p.invokeOK(t, call{step: "count", input: scores(t), resources: map[string]string{"counter": counter}}), []map[string]any{{"total": 3}})
	})
	t.Run("unknown stage", func(t *testing.T) {
		e := p.invokeErr(t, call{step: "echo", input: scores(t), then: []*pluginv1.InvokeStage{stage(t, "nope", nil, nil)}}, heddle.CodeUnknownStep)
		if e.GetComponent() != "nope" {
			t.Errorf("error %v", e)
		}
	})
	t.Run("stage without its resource, streamed", func(t *testing.T) {
		s := p.invokeStream(t, call{step: "echo", input: scores(t), then: []*pluginv1.InvokeStage{stage(t, "count", nil, nil)}}, 1<<20)
		if e := s.result.GetError(); e.GetCode() != heddle.CodeMissingResource.Proto() || e.GetComponent() != "count" {
			t.Errorf("error %v", e)
		}
	})
	t.Run("non-table from a middle stage", func(t *testing.T) {
		e := p.invokeErr(t, call{step: "echo", input: scores(t),
			then: []*pluginv1.InvokeStage{stage(t, "bad_output", nil, nil), stage(t, "echo", nil, nil)}}, heddle.CodeInvalidOutput)
		if e.GetComponent() != "bad_output" {
			t.Errorf("error %v", e)
		}
	})
}

func TestFusedCancelAndDeadline(t *testing.T) {
	p := launchTraced(t)
	sleepy := []*pluginv1.InvokeStage{stage(t, "sleep", map[string]any{"ms": 60_000}, nil), stage(t, "echo", nil, nil)}
	done := p.invokeAsync(call{step: "echo", callID: "fused-sleepy", input: scores(t), then: sleepy}, ctx(t))
	p.waitStarted("fused-sleepy")
	found, err := p.control.Cancel(ctx(t), &pluginv1.CancelRequest{CallId: "fused-sleepy", Reason: "test"})
	if err != nil || !found.GetFound() {
		t.Fatalf("cancel: %v %v", found, err)
	}
	if e := (<-done).GetError(); e.GetCode() != heddle.CodeCancelled.Proto() {
		t.Fatalf("want CANCELLED, got %v", e)
	}
	p.invokeErr(t, call{step: "echo", input: scores(t), timeoutMs: 50, then: sleepy}, heddle.CodeDeadlineExceeded)
}
