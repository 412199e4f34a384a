package native

// Giving the host its input memory back soon. An imported batch is released
// by a cleanup that runs after a garbage collection finds it unused
// (input.go), but Go collects when its own heap has grown, and the host's
// memory does not count towards that: a plugin called now and then could
// hold the host's tables for minutes. So while any imported batch is held, a
// goroutine runs the collector: shortly after each call, then less and less
// often (up to once a second) while the host keeps outputs that share input
// buffers. A collection of a plugin's small heap takes well under a
// millisecond; under a steady stream of calls there is at most one per
// firstCollect.

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

const (
	firstCollect   = 10 * time.Millisecond
	slowestCollect = time.Second
)

var (
	held       atomic.Int64 // imported batches not released yet
	nudge      = make(chan struct{}, 1)
	reaperOnce sync.Once
)

// collectSoon asks for a collection within firstCollect when imported
// batches are held (called as each call ends). It never blocks.
func collectSoon() {
	if held.Load() == 0 {
		return
	}
	reaperOnce.Do(func() { go reap() })
	select {
	case nudge <- struct{}{}:
	default: // a nudge is pending already
	}
}

// reap runs the collector while batches are held: firstCollect after a
// nudge, then at doubling intervals up to slowestCollect.
func reap() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var wait time.Duration // 0: idle (nothing held at the last collection)
	var due time.Time
	for {
		select {
		case <-nudge:
			if wait == 0 || time.Until(due) > firstCollect {
				due = time.Now().Add(firstCollect)
				timer.Reset(firstCollect)
			}
			wait = firstCollect
		case <-timer.C:
			runtime.GC() // cleanups of unused batches run after it, on their own goroutine
			if held.Load() == 0 {
				wait = 0
				continue
			}
			wait = min(2*wait, slowestCollect)
			due = time.Now().Add(wait)
			timer.Reset(wait)
		}
	}
}
