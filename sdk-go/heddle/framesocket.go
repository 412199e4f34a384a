package heddle

// A frame connection's socket, taken out of Go's network poller and read
// and written with blocking system calls.
//
// Why: the poller registers every socket for readability and writability,
// edge-triggered. Each time the host reads a result, the kernel signals
// "writable" to the poller, which wakes an idle thread of this plugin for
// nothing, and the host's read pays for that wake-up (an inter-processor
// interrupt). On a 2-vCPU machine a one-row call cost the plugin five
// context switches; a blocking read costs one: the thread that waits is the
// one the data wakes. The reader goroutine keeps its thread while it waits
// (the runtime hands its P to other goroutines when they need it).

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// iovMax is how many buffers Linux takes in one writev.
const iovMax = 1024

// Spinning (opt-in): while the host keeps a connection busy (a frame came
// within hotWithin), a read first polls the socket without blocking for up
// to HEDDLE_FRAMES_SPIN_US µs, so the host's next write finds this thread
// running instead of waking it. Off by default in Go: measured side by side
// on 2 vCPUs, a one-row call took 39–46 µs at the median without it and
// 62–80 µs with it. Go's scheduler already keeps an idle thread spinning
// for a moment, and with the other CPU busy the kernel wakes the blocked
// reader on the host's CPU, where host and plugin then trade the CPU without
// inter-processor interrupts; spinning here keeps them apart. (The Rust SDK,
// whose runtime parks at once, gains from spinning and has it on.)
const hotWithin = 500 * time.Microsecond

var spinFor = sync.OnceValue(func() time.Duration {
	us, err := strconv.Atoi(os.Getenv("HEDDLE_FRAMES_SPIN_US"))
	if err != nil || us < 0 {
		return 0
	}
	return time.Duration(us) * time.Microsecond
})

// frameSocket is a connected Unix stream socket in blocking mode. Read is
// used by one goroutine at a time, writes are serialised by the caller; close
// may come from any goroutine and wakes a blocked read or write.
type frameSocket struct {
	mu       sync.RWMutex // read-held by reads and writes, held by the final close
	fd       int
	closed   bool
	lastRead time.Time     // when a read last returned data (used by the reader only)
	spin     time.Duration // see hotWithin; 0 = never spin
}

// detachSocket takes conn's socket out of the poller: it duplicates the
// descriptor, closes conn (which deregisters it) and puts the duplicate in
// blocking mode. It fails when the descriptor cannot be duplicated.
func detachSocket(conn *net.UnixConn) (*frameSocket, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var dupErr error
	if err := raw.Control(func(orig uintptr) {
		fd, dupErr = unix.FcntlInt(orig, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, err
	}
	if dupErr != nil {
		return nil, fmt.Errorf("cannot duplicate the frame socket: %w", dupErr)
	}
	_ = conn.Close()
	if err := unix.SetNonblock(fd, false); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("cannot make the frame socket blocking: %w", err)
	}
	return &frameSocket{fd: fd, spin: spinFor()}, nil
}

// Read reads into p; io.EOF when the peer shut down its sending side (or
// this socket was closed), net.ErrClosed after close.
func (s *frameSocket) Read(p []byte) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, net.ErrClosed
	}
	if n, ok := s.spinRead(p); ok {
		return n, nil
	}
	for {
		n, err := unix.Read(s.fd, p)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		s.lastRead = time.Now()
		return n, nil
	}
}

// spinRead polls for data without blocking while the connection is hot
// (see hotWithin); ok when it read some. End of file and errors are left
// to the blocking read that follows.
func (s *frameSocket) spinRead(p []byte) (int, bool) {
	if s.spin == 0 || len(p) == 0 || time.Since(s.lastRead) > hotWithin {
		return 0, false
	}
	for start := time.Now(); time.Since(start) < s.spin; {
		n, _, err := unix.Recvfrom(s.fd, p, unix.MSG_DONTWAIT)
		if err == nil && n > 0 {
			s.lastRead = time.Now()
			return n, true
		}
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			return 0, false
		}
	}
	return 0, false
}

// Write writes all of p or fails with the socket's error.
func (s *frameSocket) Write(p []byte) (int, error) {
	err := s.writeBuffers([][]byte{p})
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeBuffers writes every buffer, in order, with as few writev calls as
// the kernel allows (a payload is sent from where it is, never copied).
func (s *frameSocket) writeBuffers(bufs [][]byte) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return net.ErrClosed
	}
	bufs = append([][]byte(nil), bufs...) // advanced below; the caller's slice stays intact
	for len(bufs) > 0 {
		n, err := unix.Writev(s.fd, bufs[:min(len(bufs), iovMax)])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		for n > 0 && len(bufs) > 0 {
			if n < len(bufs[0]) {
				bufs[0] = bufs[0][n:]
				break
			}
			n -= len(bufs[0])
			bufs = bufs[1:]
		}
		for len(bufs) > 0 && len(bufs[0]) == 0 {
			bufs = bufs[1:]
		}
	}
	return nil
}

// Close shuts the socket down (a blocked read returns, a blocked write
// fails), waits for the reads and writes in progress to return, and closes
// the descriptor. Safe to call more than once.
func (s *frameSocket) Close() error {
	_ = unix.Shutdown(s.fd, unix.SHUT_RDWR)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return unix.Close(s.fd)
}

// peerGone reports whether the other end is closed in both directions (not
// only shut down for writing): Linux reports POLLHUP on a Unix stream socket
// only then.
func (s *frameSocket) peerGone() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return true
	}
	fds := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLOUT}}
	n, err := unix.Poll(fds, 0)
	if err != nil {
		return true
	}
	return n == 1 && fds[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0
}
