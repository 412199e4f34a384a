package e2e

// A frame-lane client (protocol §5.5) written from the spec, not from the
// SDK's codec, so the tests check the wire format itself.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"github.com/heddle-host/heddle/sdk-go/heddle"
	"google.golang.org/protobuf/proto"
)

const (
	preface     = "HDLFRM01"
	kindCall    = 1
	kindResult  = 2
	prefixBytes = 24
)

// frameResult is one result frame.
type frameResult struct {
	resp    *pluginv1.InvokeResponse
	payload []byte
	err     error // the connection broke before the result came
}

// frameClient is one frame connection with any number of calls in flight.
type frameClient struct {
	t       testing.TB
	conn    *net.UnixConn
	wmu     sync.Mutex // whole frames only
	mu      sync.Mutex
	nextNo  uint32
	waiting map[uint32]chan frameResult
	broken  error
	closed  chan struct{} // closed when the reader stops (the plugin closed the connection or broke framing)
}

// startFrames launches the conformance plugin, handshakes offering frames
// (and shm when dir is set) and returns the process and the capabilities.
func startFrames(t testing.TB, dir string, logLevel string) (*proc, []string) {
	t.Helper()
	p := launch(t, conformanceBin, func(env map[string]string) {
		if dir != "" {
			env["HEDDLE_SHM_DIR"] = dir
		}
		if logLevel != "" {
			env["HEDDLE_LOG_LEVEL"] = logLevel
		}
	})
	p.connect()
	hs, err := p.plugin.Handshake(ctx(t), &pluginv1.HandshakeRequest{ProtocolVersions: []uint32{1}, HostName: "e2e",
		HostVersion: "0", Capabilities: []string{"streaming", "cancel", heddle.CapabilityShm, heddle.CapabilityFrames}})
	if err != nil {
		t.Fatal(err)
	}
	return p, hs.GetCapabilities()
}

// dialRaw connects to the plugin's frame socket without sending anything.
func dialRaw(t testing.TB, p *proc) *net.UnixConn {
	t.Helper()
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: p.socket + ".frames", Net: "unix"})
	if err != nil {
		t.Fatalf("dialing the frame socket: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// dialFrames opens a frame connection, sends the preface and starts reading results.
func dialFrames(t testing.TB, p *proc) *frameClient {
	t.Helper()
	c := &frameClient{t: t, conn: dialRaw(t, p), waiting: map[uint32]chan frameResult{}, closed: make(chan struct{})}
	if _, err := c.conn.Write([]byte(preface)); err != nil {
		t.Fatal(err)
	}
	go c.read()
	return c
}

// read delivers result frames to their callers until the connection ends.
func (c *frameClient) read() {
	defer close(c.closed)
	r := bufio.NewReaderSize(c.conn, 64<<10)
	for {
		callNo, message, payload, err := readFrame(r, kindResult)
		var resp pluginv1.InvokeResponse
		if err == nil {
			err = proto.Unmarshal(message, &resp)
		}
		c.mu.Lock()
		if err != nil {
			c.broken = err
			for no, ch := range c.waiting {
				ch <- frameResult{err: err}
				delete(c.waiting, no)
			}
			c.mu.Unlock()
			return
		}
		ch := c.waiting[callNo]
		delete(c.waiting, callNo)
		c.mu.Unlock()
		if ch == nil {
			c.t.Errorf("a result for call_no %d, which is not waiting", callNo)
			continue
		}
		ch <- frameResult{resp: &resp, payload: payload}
	}
}

// readFrame reads one frame of kind want: its call_no, message and payload.
func readFrame(r io.Reader, want byte) (uint32, []byte, []byte, error) {
	var prefix [prefixBytes]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		return 0, nil, nil, err
	}
	if prefix[4] != want || prefix[5]|prefix[6]|prefix[7] != 0 || binary.LittleEndian.Uint32(prefix[12:]) != 0 {
		return 0, nil, nil, fmt.Errorf("bad frame prefix % x", prefix)
	}
	message := make([]byte, binary.LittleEndian.Uint32(prefix[0:]))
	payload := make([]byte, binary.LittleEndian.Uint64(prefix[16:]))
	if _, err := io.ReadFull(r, message); err != nil {
		return 0, nil, nil, err
	}
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, nil, err
	}
	return binary.LittleEndian.Uint32(prefix[8:]), message, payload, nil
}

// appendFrame appends a frame of kind with message and payload to buf.
func appendFrame(buf []byte, kind byte, callNo uint32, message, payload []byte) []byte {
	buf = appendPrefix(buf, kind, callNo, len(message), len(payload))
	return append(append(buf, message...), payload...)
}

// appendPrefix appends a frame prefix to buf.
func appendPrefix(buf []byte, kind byte, callNo uint32, messageLen, payloadLen int) []byte {
	var prefix [prefixBytes]byte
	binary.LittleEndian.PutUint32(prefix[0:], uint32(messageLen))
	prefix[4] = kind
	binary.LittleEndian.PutUint32(prefix[8:], callNo)
	binary.LittleEndian.PutUint64(prefix[16:], uint64(payloadLen))
	return append(buf, prefix[:]...)
}

// send writes one call frame and returns where its result will arrive.
func (c *frameClient) send(h *pluginv1.InvokeHeader, payload []byte) <-chan frameResult {
	c.t.Helper()
	message, err := proto.Marshal(h)
	if err != nil {
		c.t.Fatal(err)
	}
	ch := make(chan frameResult, 1)
	c.mu.Lock()
	if c.broken != nil {
		c.mu.Unlock()
		ch <- frameResult{err: c.broken}
		return ch
	}
	c.nextNo++
	no := c.nextNo
	c.waiting[no] = ch
	c.mu.Unlock()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.conn.Write(append(appendPrefix(nil, kindCall, no, len(message), len(payload)), message...)); err != nil {
		c.t.Fatalf("writing a call frame: %v", err)
	}
	// The payload as a second write, as a host does for large ones.
	if _, err := c.conn.Write(payload); err != nil {
		c.t.Fatalf("writing a call frame's payload: %v", err)
	}
	return ch
}

// frameHeader builds c's header for the frame lane: the input travels as the
// payload (input = streamed) unless c gives it by handle.
func frameHeader(t testing.TB, c call) (*pluginv1.InvokeHeader, []byte) {
	t.Helper()
	in := c.input
	c.input = nil
	h := c.header(t)
	if in == nil {
		return h, nil
	}
	data, err := heddle.EncodeIPC(in)
	if err != nil {
		t.Fatal(err)
	}
	h.Input = &pluginv1.DataRef{Kind: &pluginv1.DataRef_Streamed{Streamed: &pluginv1.StreamedTable{TotalBytes: uint64(len(data))}}}
	return h, data
}

// wait waits for a result, failing the test after 30 s or when the connection broke.
func (c *frameClient) wait(ch <-chan frameResult) frameResult {
	c.t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			c.t.Fatalf("the frame connection broke before the result: %v", r.err)
		}
		return r
	case <-time.After(30 * time.Second):
		c.t.Fatal("no result frame within 30 s")
		return frameResult{}
	}
}

// call sends c and waits for its result.
func (c *frameClient) call(t testing.TB, cl call) frameResult {
	t.Helper()
	h, payload := frameHeader(t, cl)
	return c.wait(c.send(h, payload))
}

// callOK makes a call that must succeed and returns its output table (nil
// for a sink), checking that the output is announced as the payload.
func (c *frameClient) callOK(t testing.TB, cl call) *heddle.Table {
	t.Helper()
	r := c.call(t, cl)
	if r.resp.GetError() != nil {
		t.Fatalf("%s over frames failed: %v", cl.step, r.resp.GetError())
	}
	return r.table(t)
}

// table decodes a successful result's payload, checking the announcement.
func (r frameResult) table(t testing.TB) *heddle.Table {
	t.Helper()
	if r.resp.GetOutput() == nil {
		if len(r.payload) != 0 {
			t.Fatalf("a result without output carries a %d-byte payload", len(r.payload))
		}
		return nil
	}
	if got := r.resp.GetOutput().GetStreamed().GetTotalBytes(); r.resp.GetOutput().GetStreamed() == nil || got != uint64(len(r.payload)) {
		t.Fatalf("output %v does not announce the %d-byte payload", r.resp.GetOutput(), len(r.payload))
	}
	out, err := heddle.DecodeIPC(r.payload)
	if err != nil {
		t.Fatalf("the result payload is not an Arrow IPC stream: %v", err)
	}
	return out
}

// callErr makes a call that must fail with code and returns the error.
func (c *frameClient) callErr(t testing.TB, cl call, code heddle.Code) *pluginv1.Error {
	t.Helper()
	r := c.call(t, cl)
	e := r.resp.GetError()
	if e.GetCode() != code.Proto() {
		t.Fatalf("%s over frames: error %v, want %s", cl.step, e, code)
	}
	if r.resp.GetOutput() != nil || len(r.payload) != 0 {
		t.Errorf("%s over frames: a failed call also carries an output", cl.step)
	}
	return e
}

// waitClosed fails the test unless the plugin closes the connection within 10 s.
func waitClosed(t testing.TB, conn *net.UnixConn) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1024)
	for {
		_, err := conn.Read(buf)
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
			return
		}
		t.Fatalf("the plugin did not close the connection: %v", err)
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}
