package e2e

import (
	"strings"
	"testing"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"github.com/heddle-host/heddle/sdk-go/heddle"
)

func TestErrorCodes(t *testing.T) {
	p := start(t, conformanceBin)
	rows := table(t, schema(field("id", int64T)), map[string]any{"id": 1})

	t.Run("UNKNOWN_STEP", func(t *testing.T) {
		e := p.invokeErr(t, call{step: "nope"}, heddle.CodeUnknownStep)
		if !strings.Contains(e.GetMessage(), "nope") || !strings.Contains(e.GetMessage(), "echo") {
			t.Errorf("message should name the step and the ones that exist: %s", e.GetMessage())
		}
	})
	t.Run("INVALID_CONFIG", func(t *testing.T) {
		for _, c := range []struct {
			step   string
			config any
			field  string
		}{
			{"generate", map[string]any{}, "/rows"},
			{"generate", map[string]any{"rows": -1}, "/rows"},
			{"generate", map[string]any{"rows": "3"}, "/rows"},
			{"generate", map[string]any{"rows": 1.5}, "/rows"},
			{"strict", map[string]any{"name": "n", "count": 0}, "/count"},
			{"strict", map[string]any{"name": "n", "count": 1, "mode": "c"}, "/mode"},
			{"strict", map[string]any{"count": 1}, "/name"},
			{"echo", map[string]any{"extra": true}, "/extra"},
			{"add_column", map[string]any{"name": "a", "value": "b", "typo": 1}, "/typo"},
			{"scale", map[string]any{"column": "v", "factor": "two"}, "/factor"},
			{"generate", []int{1}, ""},
		} {
			e := p.invokeErr(t, call{step: c.step, config: c.config, input: rows}, heddle.CodeInvalidConfig)
			if e.GetField() != c.field || !strings.Contains(e.GetMessage(), c.field) || e.GetComponent() != c.step {
				t.Errorf("%s %v: field %q component %q message %q, want field %q", c.step, c.config, e.GetField(), e.GetComponent(), e.GetMessage(), c.field)
			}
		}
	})
	t.Run("MISSING_RESOURCE", func(t *testing.T) {
		e := p.invokeErr(t, call{step: "count", input: rows}, heddle.CodeMissingResource)
		if !strings.Contains(e.GetMessage(), "counter") {
			t.Errorf("message should name the binding: %s", e.GetMessage())
		}
	})
	t.Run("RESOURCE_NOT_OPEN", func(t *testing.T) {
		p.invokeErr(t, call{step: "count", input: rows, resources: map[string]string{"counter": "counter-999"}}, heddle.CodeResourceNotOpen)
		id := p.open(t, "counter", nil)
		if _, err := p.plugin.CloseResource(ctx(t), &pluginv1.CloseResourceRequest{InstanceId: id}); err != nil {
			t.Fatal(err)
		}
		p.invokeErr(t, call{step: "count", input: rows, resources: map[string]string{"counter": id}}, heddle.CodeResourceNotOpen)
		resp, err := p.plugin.CloseResource(ctx(t), &pluginv1.CloseResourceRequest{InstanceId: id})
		if err != nil || resp.GetError().GetCode() != heddle.CodeResourceNotOpen.Proto() {
			t.Errorf("closing twice: %v %v", resp, err)
		}
	})
	t.Run("RESOURCE_INIT_FAILED and UNKNOWN_RESOURCE", func(t *testing.T) {
		resp, err := p.plugin.OpenResource(ctx(t), &pluginv1.OpenResourceRequest{Resource: "failing", ConfigJson: "{}"})
		if err != nil || resp.GetError().GetCode() != heddle.CodeResourceInitFailed.Proto() ||
			resp.GetError().GetMessage() != "resource init failed on purpose" || resp.GetInstanceId() != "" {
			t.Errorf("failing: %v %v", resp, err)
		}
		resp, err = p.plugin.OpenResource(ctx(t), &pluginv1.OpenResourceRequest{Resource: "nope"})
		if err != nil || resp.GetError().GetCode() != heddle.CodeUnknownResource.Proto() {
			t.Errorf("unknown kind: %v %v", resp, err)
		}
		resp, err = p.plugin.OpenResource(ctx(t), &pluginv1.OpenResourceRequest{Resource: "counter", ConfigJson: `{"start":"x"}`})
		if err != nil || resp.GetError().GetCode() != heddle.CodeInvalidConfig.Proto() || resp.GetError().GetField() != "/start" {
			t.Errorf("bad counter config: %v %v", resp, err)
		}
	})
	t.Run("INVALID_INPUT", func(t *testing.T) {
		h := call{step: "echo"}.header(t)
		h.Input = &pluginv1.DataRef{Kind: &pluginv1.DataRef_Inline{Inline: &pluginv1.InlineTable{Ipc: []byte("not arrow at all")}}}
		resp, err := p.plugin.Invoke(ctx(t), &pluginv1.InvokeRequest{Header: h})
		if err != nil || resp.GetError().GetCode() != heddle.CodeInvalidInput.Proto() {
			t.Errorf("garbage input: %v %v", resp, err)
		}
		p.invokeErr(t, call{step: "add_column", config: map[string]any{"name": "a", "value": "b"}}, heddle.CodeInvalidInput)
	})
	t.Run("check order: config before resources before input", func(t *testing.T) {
		h := call{step: "count", config: map[string]any{"bad": 1}}.header(t)
		h.Input = &pluginv1.DataRef{Kind: &pluginv1.DataRef_Inline{Inline: &pluginv1.InlineTable{Ipc: []byte("junk")}}}
		resp, _ := p.plugin.Invoke(ctx(t), &pluginv1.InvokeRequest{Header: h})
		if resp.GetError().GetCode() != heddle.CodeInvalidConfig.Proto() {
			t.Errorf("got %v, want INVALID_CONFIG first", resp.GetError())
		}
		h.ConfigJson = "{}"
		resp, _ = p.plugin.Invoke(ctx(t), &pluginv1.InvokeRequest{Header: h})
		if resp.GetError().GetCode() != heddle.CodeMissingResource.Proto() {
			t.Errorf("got %v, want MISSING_RESOURCE before INVALID_INPUT", resp.GetError())
		}
	})
	t.Run("STEP_FAILED", func(t *testing.T) {
		e := p.invokeErr(t, call{step: "fail", input: rows}, heddle.CodeStepFailed)
		if e.GetMessage() != "failed on purpose" || e.GetStack() == "" || e.GetComponent() != "fail" {
			t.Errorf("fail: %v", e)
		}
		e = p.invokeErr(t, call{step: "fail", config: map[string]any{"message": "custom"}, input: rows}, heddle.CodeStepFailed)
		if e.GetMessage() != "custom" {
			t.Errorf("fail with message: %v", e)
		}
	})
	t.Run("typed error", func(t *testing.T) {
		e := p.invokeErr(t, call{step: "fail_typed", input: rows}, heddle.CodeInvalidInput)
		if e.GetMessage() != "typed failure" {
			t.Errorf("fail_typed: %v", e)
		}
	})
	t.Run("INVALID_OUTPUT", func(t *testing.T) {
		p.invokeErr(t, call{step: "bad_output", input: rows}, heddle.CodeInvalidOutput)
		// A unary output over 16 MiB must be refused with a pointer to InvokeStream.
		e := p.invokeErr(t, call{step: "generate", config: map[string]any{"rows": 1_000_000}}, heddle.CodeInvalidOutput)
		if !strings.Contains(e.GetMessage(), "InvokeStream") {
			t.Errorf("message should point to InvokeStream: %s", e.GetMessage())
		}
	})
	t.Run("shm not supported", func(t *testing.T) {
		h := call{step: "echo"}.header(t)
		h.Input = &pluginv1.DataRef{Kind: &pluginv1.DataRef_Shm{Shm: &pluginv1.SharedMemoryRef{Path: "/dev/shm/x"}}}
		resp, _ := p.plugin.Invoke(ctx(t), &pluginv1.InvokeRequest{Header: h})
		if resp.GetError().GetCode() != heddle.CodeUnsupported.Proto() {
			t.Errorf("got %v, want UNSUPPORTED", resp.GetError())
		}
	})
}
