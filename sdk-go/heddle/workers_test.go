package heddle

import (
	"testing"
	"time"
)

func TestWorkerPoolRunsJobsConcurrentlyAndReusesWorkers(t *testing.T) {
	p := newWorkerPool()
	release := make(chan struct{})
	blocked := make(chan struct{})
	p.do(func() { close(blocked); <-release }) // a job that does not return yet
	<-blocked
	ran := make(chan int, 100)
	for i := 0; i < 100; i++ { // never held up by the blocked job
		p.do(func() { ran <- i })
	}
	seen := map[int]bool{}
	for len(seen) < 100 {
		select {
		case i := <-ran:
			seen[i] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of 100 jobs ran while one job was blocked", len(seen))
		}
	}
	close(release)
	if idle := p.idle.Load(); idle > p.maxIdle {
		t.Errorf("%d idle workers, the bound is %d", idle, p.maxIdle)
	}
	p.stop()
	done := make(chan struct{})
	p.do(func() { close(done) }) // still works after stop, on a new goroutine
	<-done
}
