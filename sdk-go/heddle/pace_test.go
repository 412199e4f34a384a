package heddle

import (
	"net"
	"testing"
	"time"
)

func TestPaceTrustsAStepAfterQuickRunsAndDropsItAtOneSlowRun(t *testing.T) {
	var p pace
	for i := 0; i < trustedAfter-1; i++ {
		p.record(5 * time.Microsecond)
	}
	if p.trusted() {
		t.Fatalf("trusted after %d quick runs, want %d", trustedAfter-1, trustedAfter)
	}
	p.record(5 * time.Microsecond)
	if !p.trusted() {
		t.Fatal("not trusted after enough quick runs")
	}
	p.record(3 * time.Millisecond)
	if p.trusted() {
		t.Fatal("still trusted after a slow run")
	}
}

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
