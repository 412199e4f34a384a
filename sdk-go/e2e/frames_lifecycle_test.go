package e2e

import (
	"encoding/binary"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"github.com/heddle-host/heddle/sdk-go/heddle"
	"google.golang.org/protobuf/proto"
)

// Protocol errors, large payloads and shutdown on the frame lane (§5.5).

func TestFramesBadPrefaceClosesTheConnection(t *testing.T) {
	p, _ := startFrames(t, "", "")
	conn := dialRaw(t, p)
	if _, err := conn.Write([]byte("HDLFRM02")); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, conn)
	// The plugin goes on serving other connections.
	c := dialFrames(t, p)
	c.callOK(t, call{step: "generate", config: map[string]any{"rows": 1}})
}

func TestFramesMalformedFrameClosesTheConnection(t *testing.T) {
	p, _ := startFrames(t, "", "")
	good, err := proto.Marshal(call{step: "generate", config: map[string]any{"rows": 1}}.header(t))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"a result frame from the host":   appendFrame(nil, kindResult, 1, good, nil),
		"an unknown kind":                appendFrame(nil, 9, 1, good, nil),
		"a message that does not decode": appendFrame(nil, kindCall, 1, []byte{0xff, 0xff, 0xff}, nil),
		"payload_len of 2^53":            withPrefix(appendFrame(nil, kindCall, 1, good, nil), func(p []byte) { binary.LittleEndian.PutUint64(p[16:], 1<<53) }),
	}
	for _, at := range []int{5, 6, 7, 12, 13, 14, 15} {
		cases["reserved byte "+string(rune('0'+at/10))+string(rune('0'+at%10))+" set"] =
			withPrefix(appendFrame(nil, kindCall, 1, good, nil), func(p []byte) { p[at] = 1 })
	}
	for name, frame := range cases {
		t.Run(name, func(t *testing.T) {
			conn := dialRaw(t, p)
			// A good call first, answered; then the bad frame ends the connection.
			if _, err := conn.Write(appendFrame([]byte(preface), kindCall, 7, good, nil)); err != nil {
				t.Fatal(err)
			}
			no, message, _, err := readFrame(conn, kindResult)
			var resp pluginv1.InvokeResponse
			if err != nil || no != 7 || proto.Unmarshal(message, &resp) != nil || resp.GetError() != nil {
				t.Fatalf("the good call before the bad frame: call_no %d, %v, %v", no, err, resp.GetError())
			}
			if _, err := conn.Write(frame); err != nil {
				t.Fatal(err)
			}
			waitClosed(t, conn)
		})
	}
	// Still serving.
	dialFrames(t, p).callOK(t, call{step: "generate", config: map[string]any{"rows": 1}})
	if health := healthStatus(t, p, "plugin"); health != "SERVING" {
		t.Errorf("health %s after protocol errors", health)
	}
}

func withPrefix(frame []byte, edit func([]byte)) []byte {
	edit(frame[:prefixBytes])
	return frame
}

// largeFrameRows int64 values are 64 MiB of column data.
const largeFrameRows = 64 << 20 / 8

func TestFramesLargePayload(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 64 MiB tables")
	}
	p, _ := startFrames(t, "", "")
	c := dialFrames(t, p)
	tbl := idTable(largeFrameRows, 1<<20)

	h, payload := frameHeader(t, call{step: "echo", input: tbl})
	begin := time.Now()
	r := c.wait(c.send(h, payload))
	took := time.Since(begin)
	if r.resp.GetError() != nil {
		t.Fatal(r.resp.GetError())
	}
	if string(r.payload) != string(payload) {
		t.Fatalf("echo of %d bytes came back different (%d bytes)", len(payload), len(r.payload))
	}
	t.Logf("echo of a %d MiB payload, round trip: %v", len(payload)>>20, took)

	// A new output (int64 → float64) goes out from the column buffers themselves.
	h, payload = frameHeader(t, call{step: "scale", input: tbl, config: map[string]any{"column": "id", "factor": 2}})
	begin = time.Now()
	r = c.wait(c.send(h, payload))
	t.Logf("scale of a %d MiB payload, %d MiB out, round trip: %v", len(payload)>>20, len(r.payload)>>20, time.Since(begin))
	out := r.table(t)
	if out.NumRows() != largeFrameRows {
		t.Fatalf("%d rows", out.NumRows())
	}
	next := 0.0
	for _, chunk := range out.Column(0) {
		for _, v := range chunk.(*array.Float64).Float64Values() {
			if v != 2*next {
				t.Fatalf("row %v holds %v", next, v)
			}
			next++
		}
	}
}

func TestFramesShutdown(t *testing.T) {
	p, _ := startFrames(t, "", "trace")
	c := dialFrames(t, p)
	h, _ := frameHeader(t, call{step: "sleep", config: map[string]any{"ms": 500}, callID: "frame-finishing"})
	inFlight := c.send(h, nil)
	p.waitStarted("frame-finishing")
	if _, err := p.control.Shutdown(ctx(t), &pluginv1.ShutdownRequest{GraceMs: 20_000}); err != nil {
		t.Fatal(err)
	}
	// Draining: no new connections, new calls on open ones are refused with
	// PLUGIN_UNAVAILABLE. The plugin starts draining just after its reply, so poll.
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		conn, err := net.Dial("unix", p.socket+".frames")
		if err != nil {
			break
		}
		_ = conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("the frame socket still accepts connections while shutting down")
		}
	}
	refused := c.call(t, call{step: "generate", config: map[string]any{"rows": 1}})
	if e := refused.resp.GetError(); e.GetCode() != pluginv1.ErrorCode_ERROR_CODE_PLUGIN_UNAVAILABLE || e.GetMessage() == "" {
		t.Errorf("a call while shutting down answered %v, want PLUGIN_UNAVAILABLE", e)
	}
	if r := c.wait(inFlight); r.resp.GetError() != nil || r.table(t).NumRows() != 1 {
		t.Fatalf("the in-flight call did not finish: %v", r.resp)
	}
	select { // then the plugin closes the connection and exits
	case <-c.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the frame connection stays open after shutdown")
	}
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(p.socket + ".frames"); !os.IsNotExist(err) {
		t.Errorf("the frame socket file is left behind: %v", err)
	}
}

func TestFramesShutdownCancelsCallsPastGrace(t *testing.T) {
	p, _ := startFrames(t, "", "trace")
	c := dialFrames(t, p)
	h, _ := frameHeader(t, call{step: "sleep", config: map[string]any{"ms": 600_000}, callID: "frame-endless"})
	inFlight := c.send(h, nil)
	p.waitStarted("frame-endless")
	if _, err := p.control.Shutdown(ctx(t), &pluginv1.ShutdownRequest{GraceMs: 100}); err != nil {
		t.Fatal(err)
	}
	if r := c.wait(inFlight); r.resp.GetError().GetCode() != heddle.CodeCancelled.Proto() {
		t.Errorf("a call past the grace answered %v, want CANCELLED", r.resp.GetError())
	}
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// The host closing its side does not lose the answers of calls in flight,
// and SIGTERM stops a plugin with open frame connections.
func TestFramesHostHalfCloseAndSIGTERM(t *testing.T) {
	p, _ := startFrames(t, "", "")
	c := dialFrames(t, p)
	h, _ := frameHeader(t, call{step: "sleep", config: map[string]any{"ms": 200}})
	ch := c.send(h, nil)
	if err := c.conn.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if r := c.wait(ch); r.resp.GetError() != nil {
		t.Fatalf("answer after the host's half-close: %v", r.resp.GetError())
	}
	select {
	case <-c.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the plugin keeps a connection open after the host closed it")
	}
	dialFrames(t, p) // open, idle
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d after SIGINT", code)
	}
}

// The host closing the connection (both ways) cancels the calls in flight on
// it: nobody can read their results.
func TestFramesHostCloseCancelsCalls(t *testing.T) {
	p, _ := startFrames(t, "", "trace")
	c := dialFrames(t, p)
	h, _ := frameHeader(t, call{step: "sleep", config: map[string]any{"ms": 600_000}, callID: "frame-orphan"})
	c.send(h, nil)
	p.waitStarted("frame-orphan")
	_ = c.conn.Close()
	needle := `"fields":{"call_id":"frame-orphan","outcome":"CANCELLED"}` // the trace line "call ended"
	for i := 0; i < 1000; i++ {
		if strings.Contains(p.stderr.String(), needle) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the call outlived its connection; stderr:\n%s", p.stderr.String())
}
