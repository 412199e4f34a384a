package e2e

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"bytes"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

func TestHandshakeAndDescribe(t *testing.T) {
	p := start(t, conformanceBin)
	if want := "HEDDLE|1|1|unix|" + p.socket + "|grpc"; p.handshake != want {
		t.Fatalf("handshake line %q, want %q", p.handshake, want)
	}
	hs, err := p.plugin.Handshake(ctx(t), &pluginv1.HandshakeRequest{
		ProtocolVersions: []uint32{1}, HostName: "e2e", HostVersion: "0", Capabilities: []string{"streaming", "cancel", "shm"}})
	if err != nil {
		t.Fatal(err)
	}
	if hs.GetProtocolVersion() != 1 || hs.GetSdkLanguage() != "go" || hs.GetSdkName() != "heddle-sdk-go" {
		t.Errorf("handshake answer %v", hs)
	}
	if int(hs.GetPid()) != p.cmd.Process.Pid {
		t.Errorf("pid %d, the process is %d", hs.GetPid(), p.cmd.Process.Pid)
	}
	if !reflect.DeepEqual(hs.GetCapabilities(), []string{"streaming", "cancel"}) {
		t.Errorf("capabilities %v, want the intersection [streaming cancel]", hs.GetCapabilities())
	}

	d, err := p.plugin.Describe(ctx(t), &pluginv1.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	m := d.GetManifest()
	if m.GetNamespace() != "conformance" || m.GetVersion() != "1.0.0" {
		t.Errorf("namespace/version %q %q", m.GetNamespace(), m.GetVersion())
	}
	var steps, resources, handlers, commands []string
	for _, s := range m.GetSteps() {
		steps = append(steps, s.GetName())
		var schema map[string]any
		if err := json.Unmarshal([]byte(s.GetConfigSchemaJson()), &schema); err != nil || schema["type"] != "object" {
			t.Errorf("step %s: config schema %q is not an object schema", s.GetName(), s.GetConfigSchemaJson())
		}
		if schema["additionalProperties"] != false {
			t.Errorf("step %s: config schema does not reject unknown properties", s.GetName())
		}
		if len(s.GetOutputSchema()) > 0 {
			r, err := ipc.NewReader(bytes.NewReader(s.GetOutputSchema()))
			if err != nil {
				t.Errorf("step %s: output schema is not an IPC schema message: %v", s.GetName(), err)
			} else {
				r.Release()
			}
		}
	}
	for _, r := range m.GetResources() {
		resources = append(resources, r.GetName())
	}
	for _, h := range m.GetHandlers() {
		handlers = append(handlers, h.GetName())
	}
	for _, c := range m.GetCommands() {
		commands = append(commands, c.GetName())
	}
	wantSteps := []string{"echo", "add_column", "scale", "count", "generate", "fail", "fail_typed", "sleep", "bad_output", "log", "strict"}
	if !reflect.DeepEqual(steps, wantSteps) || !reflect.DeepEqual(resources, []string{"counter", "failing"}) ||
		!reflect.DeepEqual(handlers, []string{"record_errors"}) || !reflect.DeepEqual(commands, []string{"ping"}) {
		t.Fatalf("components: steps %v resources %v handlers %v commands %v", steps, resources, handlers, commands)
	}

	strict := m.GetSteps()[10]
	var schema struct {
		Properties map[string]map[string]any `json:"properties"`
		Required   []string                  `json:"required"`
	}
	if err := json.Unmarshal([]byte(strict.GetConfigSchemaJson()), &schema); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(schema.Required, []string{"name", "count"}) || schema.Properties["count"]["minimum"] != 1.0 ||
		schema.Properties["mode"]["default"] != "a" || !reflect.DeepEqual(schema.Properties["mode"]["enum"], []any{"a", "b"}) {
		t.Errorf("strict schema %s", strict.GetConfigSchemaJson())
	}
	if strict.GetTakesInput() || m.GetSteps()[4].GetTakesInput() || !m.GetSteps()[0].GetTakesInput() {
		t.Errorf("takes_input: strict %v generate %v echo %v", strict.GetTakesInput(), m.GetSteps()[4].GetTakesInput(), m.GetSteps()[0].GetTakesInput())
	}
	count := m.GetSteps()[3]
	if len(count.GetResources()) != 1 || count.GetResources()[0].GetBinding() != "counter" || count.GetResources()[0].GetKind() != "counter" {
		t.Errorf("count's resources %v", count.GetResources())
	}
}

func TestHandshakeWithoutSharedVersionFails(t *testing.T) {
	p := start(t, conformanceBin)
	_, err := p.plugin.Handshake(ctx(t), &pluginv1.HandshakeRequest{ProtocolVersions: []uint32{7, 6}})
	if err == nil || !strings.Contains(err.Error(), "FailedPrecondition") || !strings.Contains(err.Error(), "PROTOCOL_MISMATCH") {
		t.Fatalf("got %v, want FailedPrecondition naming PROTOCOL_MISMATCH", err)
	}
}

func TestSteps(t *testing.T) {
	p := start(t, conformanceBin)
	people := table(t, schema(field("id", int64T), field("name", utf8T)),
		map[string]any{"id": 1, "name": "a"}, map[string]any{"id": 2, "name": nil})

	t.Run("echo", func(t *testing.T) {
		out := p.invokeOK(t, call{step: "echo", input: people})
		if !out.Schema().Equal(people.Schema()) {
			t.Errorf("schema %v, want %v", out.Schema(), people.Schema())
		}
		sameRows(t, out, people.ToRows())
	})
	t.Run("add_column", func(t *testing.T) {
		out := p.invokeOK(t, call{step: "add_column", config: map[string]any{"name": "tag", "value": "x"}, input: people})
		if got := columns(out.Schema()); !slices.Equal(got, []string{"id:int64", "name:utf8", "tag:utf8"}) {
			t.Errorf("columns %v", got)
		}
		sameRows(t, out, []map[string]any{{"id": 1, "name": "a", "tag": "x"}, {"id": 2, "name": nil, "tag": "x"}})
	})
	t.Run("scale", func(t *testing.T) {
		in := table(t, schema(field("name", utf8T), field("v", int64T)), map[string]any{"name": "a", "v": 3}, map[string]any{"name": "b", "v": nil})
		out := p.invokeOK(t, call{step: "scale", config: map[string]any{"column": "v", "factor": 1.5}, input: in})
		if got := columns(out.Schema()); !slices.Equal(got, []string{"name:utf8", "v:float64"}) {
			t.Errorf("columns %v", got)
		}
		sameRows(t, out, []map[string]any{{"name": "a", "v": 4.5}, {"name": "b", "v": nil}})
	})
	t.Run("count", func(t *testing.T) {
		id := p.open(t, "counter", map[string]any{"start": 5})
		p.invokeOK(t, call{step: "count", resources: map[string]string{"counter": id}, input: people})
		out := p.invokeOK(t, call{step: "count", resources: map[string]string{"counter": id}, input: people})
		sameRows(t, out, []map[string]any{{"total": 9}})
		other := p.open(t, "counter", nil)
		sameRows(t, p.invokeOK(t, call{step: "count", resources: map[string]string{"counter": other}, input: people}), []map[string]any{{"total": 2}})
		if _, err := p.plugin.CloseResource(ctx(t), &pluginv1.CloseResourceRequest{InstanceId: id}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("generate", func(t *testing.T) {
		out := p.invokeOK(t, call{step: "generate", config: map[string]any{"rows": 3}})
		sameRows(t, out, []map[string]any{{"id": 0, "label": "row-0"}, {"id": 1, "label": "row-1"}, {"id": 2, "label": "row-2"}})
		empty := p.invokeOK(t, call{step: "generate", config: map[string]any{"rows": 0}})
		if empty.NumRows() != 0 || !slices.Equal(columns(empty.Schema()), []string{"id:int64", "label:utf8"}) {
			t.Errorf("generate 0: %d rows, columns %v", empty.NumRows(), columns(empty.Schema()))
		}
	})
	t.Run("sleep", func(t *testing.T) {
		out := p.invokeOK(t, call{step: "sleep", config: map[string]any{"ms": 20}})
		if rows := out.ToRows(); len(rows) != 1 || rows[0]["slept_ms"].(int64) < 20 {
			t.Errorf("sleep 20: %v", rows)
		}
	})
	t.Run("log", func(t *testing.T) {
		out := p.invokeOK(t, call{step: "log", config: map[string]any{"message": "hello from the log step"}, input: people})
		sameRows(t, out, people.ToRows())
		// The plugin's stderr reaches the buffer through a pipe after the call
		// returns: wait for the line rather than racing it.
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if strings.Contains(p.stderr.String(), "hello from the log step") {
				break
			}
		}
		var found bool
		for _, line := range strings.Split(p.stderr.String(), "\n") {
			var rec struct {
				Level, Message, Time string
				Fields               map[string]any
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Message == "hello from the log step" {
				found = true
				if _, err := time.Parse(time.RFC3339, rec.Time); err != nil || rec.Level != "info" || rec.Fields["step"] != "log" {
					t.Errorf("log line %s", line)
				}
			}
		}
		if !found {
			t.Errorf("no JSON log line on stderr:\n%s", p.stderr.String())
		}
	})
	t.Run("strict", func(t *testing.T) {
		out := p.invokeOK(t, call{step: "strict", config: map[string]any{"name": "n", "count": 2}})
		sameRows(t, out, []map[string]any{{"name": "n", "count": 2, "mode": "a"}})
		out = p.invokeOK(t, call{step: "strict", config: map[string]any{"name": "n", "count": 1.0, "mode": "b"}})
		sameRows(t, out, []map[string]any{{"name": "n", "count": 1, "mode": "b"}})
	})
	t.Run("record_errors handler", func(t *testing.T) {
		errs := table(t, schema(field("code", utf8T), field("message", utf8T), field("component", utf8T), field("stack", utf8T)),
			map[string]any{"code": "STEP_FAILED", "message": "boom", "component": "x.y", "stack": ""})
		sameRows(t, p.invokeOK(t, call{step: "record_errors", input: errs}), errs.ToRows())
	})
}

func TestHealth(t *testing.T) {
	p := start(t, conformanceBin)
	for _, service := range []string{"", "plugin"} {
		if got := healthStatus(t, p, service); got != "SERVING" {
			t.Errorf("health of %q: %s", service, got)
		}
	}
}
