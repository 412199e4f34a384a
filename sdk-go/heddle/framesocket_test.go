package heddle

import (
	"net"
	"testing"
	"time"
)

// A detached socket reads and writes like the connection it came from, and
// Close wakes a read blocked on it.
func TestFrameSocketReadsWritesAndCloseWakesABlockedRead(t *testing.T) {
	a, b := socketPair(t)
	s, err := detachSocket(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.writeBuffers([][]byte{[]byte("he"), nil, []byte("llo")}); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 5)
	if _, err := b.Read(got); err != nil || string(got) != "hello" {
		t.Fatalf("peer read %q, %v", got, err)
	}
	if _, err := b.Write([]byte("back")); err != nil {
		t.Fatal(err)
	}
	n, err := s.Read(got)
	if err != nil || string(got[:n]) != "back" {
		t.Fatalf("read %q, %v", got[:n], err)
	}
	blocked := make(chan error, 1)
	go func() { _, err := s.Read(got); blocked <- err }()
	time.Sleep(20 * time.Millisecond) // let the read block (the check below does not depend on it)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-blocked; err == nil {
		t.Fatal("a read on a closed socket returned no error")
	}
	if _, err := s.Read(got); err != net.ErrClosed {
		t.Fatalf("read after close: %v, want net.ErrClosed", err)
	}
	if !s.peerGone() {
		t.Fatal("a closed socket does not report its peer gone")
	}
}

// With spinning on, a read on a busy connection picks up data that arrives
// while it polls; a read on an idle connection does not poll at all.
func TestFrameSocketSpinReadsDataThatArrivesWhileItPolls(t *testing.T) {
	a, b := socketPair(t)
	s, err := detachSocket(a)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.spin = time.Second
	buf := make([]byte, 8)
	if _, ok := s.spinRead(buf); ok {
		t.Fatal("an idle connection spun and read")
	}
	s.lastRead = time.Now() // busy
	go func() { time.Sleep(5 * time.Millisecond); _, _ = b.Write([]byte("next")) }()
	n, ok := s.spinRead(buf)
	if !ok || string(buf[:n]) != "next" {
		t.Fatalf("spinRead = %q, %v", buf[:n], ok)
	}
}
