package heddle

// How long a step's recent calls took, so a step that keeps answering
// within microseconds runs on the goroutine that read its call instead of
// being handed to another one. Each hand-off wakes another thread when a
// processor is idle (the runtime's wakep); on a 2-vCPU machine those
// wake-ups cost more than a one-row call itself.

import (
	"sync/atomic"
	"time"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

const (
	// quickRun is the longest run that counts as quick.
	quickRun = 100 * time.Microsecond
	// trustedAfter is how many quick runs in a row earn running in place.
	trustedAfter = 8
	// smallInputRows and smallPayloadBytes bound the inputs that run in
	// place: a step's time may grow with its input.
	smallInputRows    = 4096
	smallPayloadBytes = 64 << 10
)

// pace counts a step's quick runs in a row (shared by its concurrent calls).
type pace struct{ quickInARow atomic.Int32 }

// trusted reports whether the step has earned running in place.
func (p *pace) trusted() bool { return p.quickInARow.Load() >= trustedAfter }

// record counts one run; a slow one takes the trust away at once.
func (p *pace) record(took time.Duration) {
	if took > quickRun {
		p.quickInARow.Store(0)
	} else if n := p.quickInARow.Load(); n < trustedAfter {
		p.quickInARow.Store(n + 1)
	}
}

// trustedChain reports whether every step the header names is trusted
// (an unknown name is not: the normal path reports it).
func (s *server) trustedChain(h *pluginv1.InvokeHeader) bool {
	if e := s.plugin.steps[h.GetStep()]; e == nil || !e.pace.trusted() {
		return false
	}
	for _, stage := range h.GetThen() {
		if e := s.plugin.steps[stage.GetStep()]; e == nil || !e.pace.trusted() {
			return false
		}
	}
	return true
}
