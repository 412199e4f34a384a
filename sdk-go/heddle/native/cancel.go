package native

// Cancellation of heddle_invoke_cancellable: the host stores 1 (cancelled)
// or 2 (deadline passed) into an int32 it owns, from another thread. A
// goroutine polls it every millisecond and cancels the call's context, which
// the invoke pipeline answers at once with CANCELLED or DEADLINE_EXCEEDED.

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// Values the host stores in *cancel (HEDDLE_CANCEL_* in heddle_plugin.h).
const (
	cancelNone      = 0
	cancelCancelled = 1
	cancelDeadline  = 2
)

// pollEvery is how often *cancel is read.
const pollEvery = time.Millisecond

var errHostCancelled = errors.New("the host cancelled the call")

// watchCancel returns a context that is cancelled when *flag becomes
// cancelCancelled, or ends as past its deadline (cause
// context.DeadlineExceeded) when it becomes cancelDeadline, and a stop
// function. After stop returns, *flag is not read again (the host's memory
// need only live until the call returns). A nil flag is never set.
func watchCancel(parent context.Context, flag *int32) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	stopped := func() bool {
		switch atomic.LoadInt32(flag) {
		case cancelNone:
			return false
		case cancelDeadline:
			cancel(context.DeadlineExceeded)
		default: // cancelCancelled, or a value from a newer host: stop either way
			cancel(errHostCancelled)
		}
		return true
	}
	// Read once before anything runs: a flag set before the call stops it for sure.
	if flag == nil || stopped() {
		return ctx, func() { cancel(nil) }
	}
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		ticker := time.NewTicker(pollEvery)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				if stopped() {
					return
				}
			}
		}
	}()
	return ctx, func() {
		close(done)
		<-exited
		cancel(nil)
	}
}
