package heddle

// The frame lane's server side (protocol §5.5): a second Unix socket next to
// the gRPC one, any number of host connections, one reader goroutine per
// connection and one goroutine per call, so a slow step never holds up other
// calls' results or the reading of further frames.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

// CapabilityFrames is the handshake flag of the frame lane (protocol §5.5).
const CapabilityFrames = "frames"

// framesSocketSuffix is added to HEDDLE_PLUGIN_SOCKET to name the frame socket.
const framesSocketSuffix = ".frames"

// frameServer accepts frame connections and serves them until shutdown.
type frameServer struct {
	srv  *server
	lis  *net.UnixListener
	path string

	mu      sync.Mutex
	conns   map[*frameConn]struct{}
	stopped bool
}

// listenFrames removes a stale file at path and listens there. It fails
// when the file cannot be removed or the socket cannot be created (the
// plugin then serves without the frame lane and does not advertise it).
func listenFrames(s *server, path string) (*frameServer, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("cannot remove the stale socket file %s: %w", path, err)
	}
	lis, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	lis.SetUnlinkOnClose(false) // stop removes the file itself, once
	return &frameServer{srv: s, lis: lis, path: path, conns: map[*frameConn]struct{}{}}, nil
}

// serve accepts connections until stop; each gets its own reader goroutine.
func (f *frameServer) serve() {
	for {
		conn, err := f.lis.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors and the like: the host's connection waits in
			// the backlog until one is free.
			f.srv.log.Warn("accepting a frame connection failed", "error", err.Error())
			time.Sleep(50 * time.Millisecond)
			continue
		}
		sock, err := detachSocket(conn)
		if err != nil {
			// The host sees the connection close and stays on gRPC.
			f.srv.log.Warn("cannot serve a frame connection", "error", err.Error())
			_ = conn.Close()
			continue
		}
		c := newFrameConn(f, sock)
		f.mu.Lock()
		stopped := f.stopped
		if !stopped {
			f.conns[c] = struct{}{}
		}
		f.mu.Unlock()
		if stopped {
			_ = sock.Close()
			return
		}
		go c.serve()
	}
}

// stop stops accepting connections and removes the socket file; connections
// already open keep being served (calls that arrive on them are refused with
// PLUGIN_UNAVAILABLE once the server's gate is closed). A nil server is a no-op.
func (f *frameServer) stop() {
	if f == nil {
		return
	}
	f.mu.Lock()
	f.stopped = true
	f.mu.Unlock()
	_ = f.lis.Close()
	_ = os.Remove(f.path)
}

// closeConns closes every connection once the frames read on it are
// answered, waiting at most wait for them (in-flight calls are finished or
// cancelled by now; what is left are refusals being written). A nil server
// is a no-op.
func (f *frameServer) closeConns(wait time.Duration) {
	if f == nil {
		return
	}
	f.mu.Lock()
	conns := make([]*frameConn, 0, len(f.conns))
	for c := range f.conns {
		conns = append(conns, c)
	}
	f.mu.Unlock()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for _, c := range conns {
		select {
		case <-c.pending.idle():
		case <-timer.C:
		}
		c.close(errShuttingDown)
	}
}

func (f *frameServer) forget(c *frameConn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
}

// frameConn is one host connection.
type frameConn struct {
	f       *frameServer
	conn    *frameSocket
	w       frameWriter
	ctx     context.Context // the parent of its calls' contexts: ends when the connection does
	cancel  context.CancelCauseFunc
	pending inFlight // frames read and not answered yet
	once    sync.Once
}

func newFrameConn(f *frameServer, conn *frameSocket) *frameConn {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &frameConn{f: f, conn: conn, w: frameWriter{conn: conn}, ctx: ctx, cancel: cancel}
}

// serve reads the preface, then call frames until the host closes the
// connection or breaks the framing (readFrames).
func (c *frameConn) serve() {
	fr := newFrameReader(c.conn)
	if err := fr.readPreface(); err != nil {
		if isFrameError(err) {
			c.f.srv.log.Warn("closing a frame connection", "error", err.Error())
		}
		c.close(err)
		c.f.forget(c)
		return
	}
	c.f.srv.log.Debug("frame connection opened")
	c.readFrames(fr)
}

// readFrames reads call frames and starts each one; it returns when the
// connection ends, or when a call it ran in place took long enough that
// another goroutine took over the reading.
func (c *frameConn) readFrames(fr *frameReader) {
	log := c.f.srv.log
	for {
		h := &pluginv1.InvokeHeader{}
		head, payload, err := fr.next(frameKindCall, h)
		switch {
		case err == nil:
			if c.dispatch(fr, head.callNo, h, payload) {
				return
			}
			continue
		case errors.Is(err, io.EOF) && c.conn.peerGone():
			// Nobody can read the results of the calls in flight: cancel
			// them, as gRPC cancels the calls of a closed transport.
			log.Debug("frame connection closed by the host")
			c.close(errors.New("the host closed the frame connection"))
		case errors.Is(err, io.EOF):
			// The host only shut down its sending side: answer the calls in
			// flight, then close.
			<-c.pending.idle()
			log.Debug("frame connection half-closed by the host")
			c.close(errors.New("the host closed the frame connection"))
		case isFrameError(err):
			log.Warn("closing a frame connection after a protocol error", "error", err.Error())
			c.close(fmt.Errorf("the frame connection was closed after a protocol error: %w", err))
		default: // reset by the host, or closed here at shutdown
			c.close(fmt.Errorf("the frame connection broke: %w", err))
		}
		c.f.forget(c)
		return
	}
}

// dispatch starts answering one call frame. Admission happens here, in
// frame order, so a call read before shutdown began is counted in flight
// before Shutdown starts waiting. A call of quick steps with a small input
// runs right here (pace.go); any other goes to a goroutine of its own (a
// pooled worker) so the reader goes on at once. It reports whether the
// reading was handed to another goroutine meanwhile (the caller then stops).
func (c *frameConn) dispatch(fr *frameReader, callNo uint32, h *pluginv1.InvokeHeader, payload []byte) (handedOff bool) {
	c.pending.add()
	s := c.f.srv
	if !s.admit() {
		s.workers.do(func() { c.refuse(callNo, h) })
		return false
	}
	if len(payload) > smallPayloadBytes || h.GetInput().GetShm() != nil || !s.trustedChain(h) {
		s.workers.do(func() { c.answer(callNo, h, payload) })
		return false
	}
	// Frames behind this one wait while it runs: if it runs past
	// inPlaceGrace, a new goroutine takes over the reading.
	var state atomic.Int32 // 0 running, 1 finished, 2 reading handed off
	watchdog := time.AfterFunc(inPlaceGrace, func() {
		if state.CompareAndSwap(0, 2) {
			go c.readFrames(fr)
		}
	})
	c.answer(callNo, h, payload)
	watchdog.Stop()
	return !state.CompareAndSwap(0, 1)
}

// inPlaceGrace is how long a call run by the reader may hold up the frames
// behind it before another goroutine reads them.
const inPlaceGrace = time.Millisecond

// send writes one result frame; when the connection cannot be written it is
// closed, and the other calls on it are cancelled (nobody can read their results).
func (c *frameConn) send(callNo uint32, resp *pluginv1.InvokeResponse, pieces [][]byte, payloadLen int) {
	if err := c.w.write(frameKindResult, callNo, resp, pieces, payloadLen); err != nil && c.ctx.Err() == nil {
		c.f.srv.log.Debug("cannot write a result frame; closing the connection", "call_no", callNo, "error", err.Error())
		c.close(fmt.Errorf("the frame connection broke: %w", err))
	}
}

// close ends the connection once: its calls' contexts end with cause and
// the socket is closed.
func (c *frameConn) close(cause error) {
	c.once.Do(func() {
		c.cancel(cause)
		_ = c.conn.Close()
	})
}

// inFlight counts a connection's frames being answered. Unlike a WaitGroup,
// idle may be called while the reader keeps adding, and an idle connection
// costs no allocation per call.
type inFlight struct {
	mu      sync.Mutex
	n       int
	waiters []chan struct{}
}

func (p *inFlight) add() {
	p.mu.Lock()
	p.n++
	p.mu.Unlock()
}

func (p *inFlight) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n--; p.n == 0 {
		for _, w := range p.waiters {
			close(w)
		}
		p.waiters = nil
	}
}

// idle returns a channel that is closed once no frame is being answered.
func (p *inFlight) idle() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch := make(chan struct{})
	if p.n == 0 {
		close(ch)
	} else {
		p.waiters = append(p.waiters, ch)
	}
	return ch
}
