package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"github.com/heddle-host/heddle/sdk-go/heddle"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// launchTraced starts the conformance plugin logging at trace, so tests can
// see when a call has started (the SDK logs "call started" at trace).
func launchTraced(t *testing.T) *proc {
	t.Helper()
	p := launch(t, conformanceBin, func(env map[string]string) { env["HEDDLE_LOG_LEVEL"] = "trace" })
	p.connect()
	return p
}

// waitStarted waits until the plugin logged that callID started.
func (p *proc) waitStarted(callID string) {
	p.t.Helper()
	needle := `"call_id":"` + callID + `"`
	for i := 0; i < 3000; i++ {
		if strings.Contains(p.stderr.String(), needle) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.t.Fatalf("call %s never started; stderr:\n%s", callID, p.stderr.String())
}

// invokeAsync runs Invoke in the background.
func (p *proc) invokeAsync(c call, rpcCtx context.Context) <-chan *pluginv1.InvokeResponse {
	h := c.header(p.t)
	out := make(chan *pluginv1.InvokeResponse, 1)
	go func() {
		resp, err := p.plugin.Invoke(rpcCtx, &pluginv1.InvokeRequest{Header: h})
		if err != nil {
			resp = &pluginv1.InvokeResponse{Error: &pluginv1.Error{Message: "transport: " + err.Error()}}
		}
		out <- resp
	}()
	return out
}

func TestCancel(t *testing.T) {
	p := launchTraced(t)
	found, err := p.control.Cancel(ctx(t), &pluginv1.CancelRequest{CallId: "no-such-call"})
	if err != nil || found.GetFound() {
		t.Fatalf("cancel of an unknown call: %v %v", found, err)
	}
	done := p.invokeAsync(call{step: "sleep", callID: "sleepy", config: map[string]any{"ms": 60_000}}, ctx(t))
	p.waitStarted("sleepy")
	found, err = p.control.Cancel(ctx(t), &pluginv1.CancelRequest{CallId: "sleepy", Reason: "test"})
	if err != nil || !found.GetFound() {
		t.Fatalf("cancel of a running call: %v %v", found, err)
	}
	resp := <-done
	if resp.GetError().GetCode() != heddle.CodeCancelled.Proto() {
		t.Fatalf("cancelled sleep answered %v, want CANCELLED", resp.GetError())
	}
	// The call is over: cancelling it again finds nothing.
	if again, _ := p.control.Cancel(ctx(t), &pluginv1.CancelRequest{CallId: "sleepy"}); again.GetFound() {
		t.Errorf("a finished call is still registered")
	}
}

func TestDeadlineFromTimeoutMs(t *testing.T) {
	p := start(t, conformanceBin)
	e := p.invokeErr(t, call{step: "sleep", config: map[string]any{"ms": 60_000}, timeoutMs: 50}, heddle.CodeDeadlineExceeded)
	if e.GetComponent() != "sleep" {
		t.Errorf("component %q", e.GetComponent())
	}
}

func TestGRPCDeadline(t *testing.T) {
	p := launchTraced(t)
	rpcCtx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	resp, err := p.plugin.Invoke(rpcCtx, &pluginv1.InvokeRequest{Header: call{step: "sleep", callID: "late",
		config: map[string]any{"ms": 60_000}, timeoutMs: 100}.header(t)})
	// Both ends see the deadline at once: the client's own status or the
	// plugin's DEADLINE_EXCEEDED answer are both right.
	if err != nil {
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("transport error %v, want DeadlineExceeded", err)
		}
	} else if resp.GetError().GetCode() != heddle.CodeDeadlineExceeded.Proto() {
		t.Fatalf("answer %v, want DEADLINE_EXCEEDED", resp.GetError())
	}
	// The plugin stopped the call: it is no longer registered.
	p.waitStarted("late")
	for i := 0; i < 500; i++ {
		found, err := p.control.Cancel(ctx(t), &pluginv1.CancelRequest{CallId: "late"})
		if err != nil {
			t.Fatal(err)
		}
		if !found.GetFound() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the call outlived its deadline in the plugin")
}
