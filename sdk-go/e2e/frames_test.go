package e2e

import (
	"os"
	"slices"
	"testing"
	"time"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"github.com/heddle-host/heddle/sdk-go/heddle"
)

// Calls on the frame lane (protocol §5.5) against the real conformance
// plugin process: the same answers as gRPC Invoke, carried in frames.

func TestFramesCapability(t *testing.T) {
	p, caps := startFrames(t, "", "")
	if !slices.Contains(caps, heddle.CapabilityFrames) {
		t.Errorf("capabilities %v: frames missing although offered", caps)
	}
	if info, err := os.Stat(p.socket + ".frames"); err != nil || info.Mode()&os.ModeSocket == 0 {
		t.Fatalf("no frame socket next to the gRPC socket: %v", err)
	}
	if p.handshake != "HEDDLE|1|1|unix|"+p.socket+"|grpc" {
		t.Errorf("handshake line %q changed", p.handshake)
	}
	plain := start(t, conformanceBin)
	hs, err := plain.plugin.Handshake(ctx(t), &pluginv1.HandshakeRequest{ProtocolVersions: []uint32{1}, Capabilities: []string{"streaming", "cancel"}})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(hs.GetCapabilities(), heddle.CapabilityFrames) {
		t.Errorf("capabilities %v: frames advertised although the host did not offer it", hs.GetCapabilities())
	}
}

func TestFramesCalls(t *testing.T) {
	p, _ := startFrames(t, "", "")
	c := dialFrames(t, p)
	rows := []map[string]any{{"id": 1, "name": "a"}, {"id": 2, "name": nil}, {"id": 3, "name": "c"}}
	in := table(t, schema(field("id", int64T), field("name", utf8T)), rows...)

	t.Run("echo returns the input's bytes", func(t *testing.T) {
		h, payload := frameHeader(t, call{step: "echo", input: in})
		r := c.wait(c.send(h, payload))
		sameRows(t, r.table(t), rows)
		if string(r.payload) != string(payload) {
			t.Error("an unchanged table should go back as the very bytes it came in")
		}
		if r.resp.GetStats().GetOutputRows() != 3 || r.resp.GetStats().GetOutputBytes() != uint64(len(payload)) {
			t.Errorf("stats %v", r.resp.GetStats())
		}
	})
	t.Run("a new table", func(t *testing.T) {
		out := c.callOK(t, call{step: "add_column", input: in, config: map[string]any{"name": "tag", "value": "x"}})
		sameRows(t, out, []map[string]any{{"id": 1, "name": "a", "tag": "x"}, {"id": 2, "name": nil, "tag": "x"}, {"id": 3, "name": "c", "tag": "x"}})
	})
	t.Run("a source without input", func(t *testing.T) {
		out := c.callOK(t, call{step: "generate", config: map[string]any{"rows": 3}})
		sameRows(t, out, []map[string]any{{"id": 0, "label": "row-0"}, {"id": 1, "label": "row-1"}, {"id": 2, "label": "row-2"}})
	})
	t.Run("no output (a sink) has no payload", func(t *testing.T) {
		if out := c.callOK(t, call{step: "echo"}); out != nil {
			t.Fatalf("echo without input answered %d rows", out.NumRows())
		}
	})
	t.Run("inline input in the header", func(t *testing.T) {
		r := c.wait(c.send(call{step: "echo", input: in}.header(t), nil))
		sameRows(t, r.table(t), rows)
	})
	t.Run("a payload the header does not announce is INVALID_INPUT", func(t *testing.T) {
		h, payload := frameHeader(t, call{step: "echo", input: in})
		h.Input = nil
		r := c.wait(c.send(h, payload))
		if code := r.resp.GetError().GetCode(); code != pluginv1.ErrorCode_ERROR_CODE_INVALID_INPUT {
			t.Fatalf("got %v, want INVALID_INPUT", code)
		}
	})
	t.Run("resources", func(t *testing.T) {
		counter := p.open(t, "counter", map[string]any{"start": 10})
		out := c.callOK(t, call{step: "count", input: in, resources: map[string]string{"counter": counter}})
		sameRows(t, out, []map[string]any{{"total": 13}})
	})
}

func TestFramesErrors(t *testing.T) {
	p, _ := startFrames(t, "", "")
	c := dialFrames(t, p)
	in := table(t, schema(field("id", int64T)), map[string]any{"id": 1})

	if e := c.callErr(t, call{step: "nope"}, heddle.CodeUnknownStep); e.GetComponent() != "nope" {
		t.Errorf("component %q", e.GetComponent())
	}
	e := c.callErr(t, call{step: "strict", config: map[string]any{"name": "n", "count": 0}}, heddle.CodeInvalidConfig)
	if e.GetField() != "/count" || e.GetComponent() != "strict" {
		t.Errorf("INVALID_CONFIG field %q component %q", e.GetField(), e.GetComponent())
	}
	c.callErr(t, call{step: "count", input: in}, heddle.CodeMissingResource)
	c.callErr(t, call{step: "count", input: in, resources: map[string]string{"counter": "counter-404"}}, heddle.CodeResourceNotOpen)
	c.callErr(t, call{step: "fail"}, heddle.CodeStepFailed)
	c.callErr(t, call{step: "fail_typed"}, heddle.CodeInvalidInput)
	c.callErr(t, call{step: "bad_output"}, heddle.CodeInvalidOutput)

	t.Run("payload that is not Arrow IPC", func(t *testing.T) {
		h, _ := frameHeader(t, call{step: "echo", input: in})
		garbage := []byte("definitely not an Arrow IPC stream")
		h.GetInput().GetStreamed().TotalBytes = uint64(len(garbage))
		r := c.wait(c.send(h, garbage))
		if r.resp.GetError().GetCode() != heddle.CodeInvalidInput.Proto() {
			t.Fatalf("answer %v, want INVALID_INPUT", r.resp.GetError())
		}
	})
	t.Run("total_bytes is not the payload's length", func(t *testing.T) {
		h, payload := frameHeader(t, call{step: "echo", input: in})
		h.GetInput().GetStreamed().TotalBytes++
		if r := c.wait(c.send(h, payload)); r.resp.GetError().GetCode() != heddle.CodeInvalidInput.Proto() {
			t.Fatalf("answer %v, want INVALID_INPUT", r.resp.GetError())
		}
	})
	t.Run("inline input and a payload", func(t *testing.T) {
		_, payload := frameHeader(t, call{step: "echo", input: in})
		if r := c.wait(c.send(call{step: "echo", input: in}.header(t), payload)); r.resp.GetError().GetCode() != heddle.CodeInvalidInput.Proto() {
			t.Fatalf("answer %v, want INVALID_INPUT", r.resp.GetError())
		}
	})
	// The connection survives every error answer.
	sameRows(t, c.callOK(t, call{step: "echo", input: in}), []map[string]any{{"id": 1}})
}

func TestFramesFused(t *testing.T) {
	p, _ := startFrames(t, "", "")
	c := dialFrames(t, p)
	scale := map[string]any{"column": "score", "factor": 10}
	then := []*pluginv1.InvokeStage{stage(t, "scale", scale, nil), stage(t, "add_column", map[string]any{"name": "second", "value": "y"}, nil)}
	out := c.callOK(t, call{step: "add_column", config: map[string]any{"name": "first", "value": "x"}, input: scores(t), then: then})
	sameRows(t, out, []map[string]any{
		{"id": 1, "score": 15, "first": "x", "second": "y"},
		{"id": 2, "score": 20, "first": "x", "second": "y"},
		{"id": 3, "score": nil, "first": "x", "second": "y"},
	})
	bad := []*pluginv1.InvokeStage{stage(t, "scale", map[string]any{"column": "score"}, nil)}
	if e := c.callErr(t, call{step: "echo", input: scores(t), then: bad}, heddle.CodeInvalidConfig); e.GetComponent() != "scale" {
		t.Errorf("a bad stage's error names %q, want scale", e.GetComponent())
	}
}

func TestFramesShm(t *testing.T) {
	dir := shmDir(t)
	p, caps := startFrames(t, dir, "")
	if !slices.Contains(caps, heddle.CapabilityShm) || !slices.Contains(caps, heddle.CapabilityFrames) {
		t.Fatalf("capabilities %v", caps)
	}
	c := dialFrames(t, p)
	want := idTable(1000, 300)

	t.Run("input by handle, output as payload", func(t *testing.T) {
		r := c.call(t, call{step: "echo", shmInput: writeSegmentFile(t, dir, "host-f1", want, 64)})
		checkIDs(t, r.table(t), 1000)
	})
	t.Run("input as payload, output by handle", func(t *testing.T) {
		r := c.call(t, call{step: "echo", input: want, shmOutput: 1})
		if r.resp.GetError() != nil || len(r.payload) != 0 {
			t.Fatalf("error %v, payload %d bytes", r.resp.GetError(), len(r.payload))
		}
		mappedSegment(t, r.resp.GetOutput().GetShm(), func(tbl *heddle.Table) { checkIDs(t, tbl, 1000) })
	})
	t.Run("in and out by handle", func(t *testing.T) {
		in := writeSegmentFile(t, dir, "host-f2", want, 0)
		r := c.call(t, call{step: "scale", config: map[string]any{"column": "id", "factor": 1}, shmInput: in, shmOutput: 1})
		if len(r.payload) != 0 {
			t.Errorf("a %d-byte payload with an output by handle", len(r.payload))
		}
		checkNewSegment(t, dir, in, r.resp, func(tbl *heddle.Table) {
			if tbl.NumRows() != 1000 {
				t.Errorf("%d rows", tbl.NumRows())
			}
		})
	})
	t.Run("echo passes the input segment through", func(t *testing.T) {
		in := writeSegmentFile(t, dir, "host-f5", want, 64)
		checkPassThrough(t, dir, in, func() *pluginv1.InvokeResponse {
			r := c.call(t, call{step: "echo", shmInput: in, shmOutput: 1})
			if len(r.payload) != 0 {
				t.Errorf("a %d-byte payload with an output by handle", len(r.payload))
			}
			return r.resp
		})
		then := []*pluginv1.InvokeStage{stage(t, "echo", nil, nil)}
		checkPassThrough(t, dir, in, func() *pluginv1.InvokeResponse {
			return c.call(t, call{step: "echo", shmInput: in, shmOutput: 1, then: then}).resp
		})
	})
	t.Run("a missing segment", func(t *testing.T) {
		ref := writeSegmentFile(t, dir, "host-f3", want, 0)
		_ = os.Remove(ref.GetPath())
		c.callErr(t, call{step: "echo", shmInput: ref}, heddle.CodeSegmentNotFound)
	})
	t.Run("a segment and a payload", func(t *testing.T) {
		h := call{step: "echo", shmInput: writeSegmentFile(t, dir, "host-f4", want, 0)}.header(t)
		if r := c.wait(c.send(h, []byte("extra"))); r.resp.GetError().GetCode() != heddle.CodeInvalidInput.Proto() {
			t.Fatalf("answer %v, want INVALID_INPUT", r.resp.GetError())
		}
	})
}

// A slow call does not hold up a fast one sent after it on the same
// connection: results come in the order calls finish, not the order sent.
func TestFramesAnswerOutOfOrder(t *testing.T) {
	p, _ := startFrames(t, "", "")
	c := dialFrames(t, p)
	slowH, _ := frameHeader(t, call{step: "sleep", config: map[string]any{"ms": 800}, callID: "slow"})
	slow := c.send(slowH, nil)
	in := table(t, schema(field("id", int64T)), map[string]any{"id": 7})
	var fast []<-chan frameResult
	for i := 0; i < 20; i++ {
		h, payload := frameHeader(t, call{step: "echo", input: in})
		fast = append(fast, c.send(h, payload))
	}
	for _, ch := range fast {
		select {
		case r := <-ch:
			sameRows(t, r.table(t), []map[string]any{{"id": 7}})
		case r := <-slow:
			t.Fatalf("the slow call answered (%v) before the fast ones sent after it", r.resp)
		}
	}
	if r := c.wait(slow); r.resp.GetError() != nil {
		t.Fatalf("slow call: %v", r.resp.GetError())
	}
}

// A step that answered quickly runs on the connection's reader (no
// hand-off); when such a call turns slow, another goroutine takes over the
// reading, so later calls are still answered, and Cancel still reaches it.
func TestFramesQuickStepTurningSlowDoesNotHoldUpTheConnection(t *testing.T) {
	p, _ := startFrames(t, "", "")
	c := dialFrames(t, p)
	for i := 0; i < 20; i++ { // earns the in-place path (pace.go)
		if out := c.callOK(t, call{step: "sleep", config: map[string]any{"ms": 0}}); out.NumRows() != 1 {
			t.Fatalf("sleep 0 answered %d rows", out.NumRows())
		}
	}
	slowH, _ := frameHeader(t, call{step: "sleep", config: map[string]any{"ms": 60_000}, callID: "turned-slow"})
	slow := c.send(slowH, nil)
	in := table(t, schema(field("id", int64T)), map[string]any{"id": 7})
	for i := 0; i < 5; i++ {
		h, payload := frameHeader(t, call{step: "echo", input: in})
		select {
		case r := <-c.send(h, payload):
			sameRows(t, r.table(t), []map[string]any{{"id": 7}})
		case r := <-slow:
			t.Fatalf("the slow call answered (%v) before the calls sent after it", r.resp)
		}
	}
	found, err := p.control.Cancel(ctx(t), &pluginv1.CancelRequest{CallId: "turned-slow", Reason: "test"})
	if err != nil || !found.GetFound() {
		t.Fatalf("Cancel found=%v err=%v", found.GetFound(), err)
	}
	if r := c.wait(slow); r.resp.GetError().GetCode() != heddle.CodeCancelled.Proto() {
		t.Fatalf("the cancelled call answered %v, want CANCELLED", r.resp.GetError())
	}
}

// Several connections at once, each with calls in flight.
func TestFramesManyConnections(t *testing.T) {
	p, _ := startFrames(t, "", "")
	in := idTable(5000, 1000)
	done := make(chan *heddle.Table, 4*25)
	for i := 0; i < 4; i++ {
		c := dialFrames(t, p)
		go func() {
			var chans []<-chan frameResult
			for j := 0; j < 25; j++ {
				h, payload := frameHeader(t, call{step: "scale", input: in, config: map[string]any{"column": "id", "factor": 1}})
				chans = append(chans, c.send(h, payload))
			}
			for _, ch := range chans {
				r := <-ch
				if r.err != nil || r.resp.GetError() != nil {
					t.Errorf("call failed: %v %v", r.err, r.resp.GetError())
					done <- nil
					continue
				}
				out, err := heddle.DecodeIPC(r.payload)
				if err != nil {
					t.Errorf("payload: %v", err)
				}
				done <- out
			}
		}()
	}
	for i := 0; i < 4*25; i++ {
		select {
		case out := <-done:
			if out != nil && out.NumRows() != 5000 {
				t.Fatalf("%d rows", out.NumRows())
			}
		case <-time.After(30 * time.Second):
			t.Fatal("calls did not finish")
		}
	}
}

func TestFramesCancelAndDeadline(t *testing.T) {
	p, _ := startFrames(t, "", "trace")
	c := dialFrames(t, p)

	t.Run("Cancel over gRPC reaches a frame call", func(t *testing.T) {
		h, _ := frameHeader(t, call{step: "sleep", config: map[string]any{"ms": 60_000}, callID: "frame-sleepy"})
		ch := c.send(h, nil)
		p.waitStarted("frame-sleepy")
		found, err := p.control.Cancel(ctx(t), &pluginv1.CancelRequest{CallId: "frame-sleepy", Reason: "test"})
		if err != nil || !found.GetFound() {
			t.Fatalf("cancel of a running frame call: %v %v", found, err)
		}
		if r := c.wait(ch); r.resp.GetError().GetCode() != heddle.CodeCancelled.Proto() || r.resp.GetError().GetComponent() != "sleep" {
			t.Fatalf("cancelled call answered %v, want CANCELLED from sleep", r.resp.GetError())
		}
		if again, _ := p.control.Cancel(ctx(t), &pluginv1.CancelRequest{CallId: "frame-sleepy"}); again.GetFound() {
			t.Error("a finished frame call is still registered")
		}
	})
	t.Run("deadline from timeout_ms", func(t *testing.T) {
		begin := time.Now()
		e := c.callErr(t, call{step: "sleep", config: map[string]any{"ms": 60_000}, timeoutMs: 50}, heddle.CodeDeadlineExceeded)
		if e.GetComponent() != "sleep" {
			t.Errorf("component %q", e.GetComponent())
		}
		if time.Since(begin) > 20*time.Second {
			t.Errorf("the deadline answer took %v", time.Since(begin))
		}
	})
	t.Run("fused chain stops at the deadline", func(t *testing.T) {
		then := []*pluginv1.InvokeStage{stage(t, "sleep", map[string]any{"ms": 60_000}, nil)}
		c.callErr(t, call{step: "generate", config: map[string]any{"rows": 1}, then: then, timeoutMs: 50}, heddle.CodeDeadlineExceeded)
	})
}
