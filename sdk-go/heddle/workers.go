package heddle

import (
	"runtime"
	"sync/atomic"
)

// workerPool runs functions on goroutines that are kept for the next one.
// A call costs a goroutine or two (the frame lane's call, the steps in
// server.run); a new goroutine starts with a small stack and grows it again
// on every call (decoding Arrow metadata and config validation go deep),
// which cost more than the rest of a small call. Kept goroutines keep their
// grown stacks. There is no bound on concurrent work: when no kept goroutine
// is free a new one starts, and at most maxIdle wait between calls.
type workerPool struct {
	jobs    chan func() // unbuffered: a send succeeds only when a worker waits
	idle    atomic.Int32
	maxIdle int32
	stopped chan struct{}
}

func newWorkerPool() *workerPool {
	// Enough idle workers for a host that keeps a few dozen calls in flight;
	// each costs only its stack.
	return &workerPool{jobs: make(chan func()), maxIdle: int32(max(64, 4*runtime.GOMAXPROCS(0))), stopped: make(chan struct{})}
}

// do runs f on a waiting worker, or on a new one when none waits. It never blocks.
func (p *workerPool) do(f func()) {
	select {
	case p.jobs <- f:
	default:
		go p.work(f)
	}
}

func (p *workerPool) work(f func()) {
	for {
		f()
		f = nil // let what the job held go while waiting
		if p.idle.Add(1) > p.maxIdle {
			p.idle.Add(-1)
			return
		}
		select {
		case f = <-p.jobs:
			p.idle.Add(-1)
		case <-p.stopped:
			p.idle.Add(-1)
			return
		}
	}
}

// stop lets the waiting workers end (when serving ends); do keeps working
// after it, on new goroutines.
func (p *workerPool) stop() { close(p.stopped) }
