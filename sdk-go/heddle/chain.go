package heddle

// Running a call: the checks of protocol §5.1 for its step and every fused
// stage of InvokeHeader.then (§5.4), then the steps in order on one goroutine,
// each stage getting the very *Table the previous step returned (in memory: no
// IPC encoding, no copy). Errors name the failing stage's step.

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

// checkedStep is one step of a call that passed checks 1–3.
type checkedStep struct {
	entry     *stepEntry
	config    any
	resources map[string]any
}

// stepResult is what the chain goroutine hands back: the last output or the
// first failure.
type stepResult struct {
	out     *Table
	failure *Error
}

// producer is the step whose output a call answers with: the last fused stage,
// or the header's step.
func producer(h *pluginv1.InvokeHeader) string {
	if then := h.GetThen(); len(then) > 0 {
		return then[len(then)-1].GetStep()
	}
	return h.GetStep()
}

// checkStep makes checks 1–3 of §5.1 for one step: it exists
// (UNKNOWN_STEP), its config is valid (INVALID_CONFIG), its resources are
// bound and open (MISSING_RESOURCE, RESOURCE_NOT_OPEN). Errors name the step.
func (s *server) checkStep(name, configJSON string, given map[string]string) (*checkedStep, *Error) {
	e := s.plugin.steps[name]
	if e == nil {
		return nil, &Error{Code: CodeUnknownStep, Component: name, Message: fmt.Sprintf(
			"plugin %q has no step or handler %q; it has: %s", s.plugin.info.Namespace, name, namesOf(s.plugin.steps))}
	}
	config, failure := e.config.decode(configJSON)
	if failure != nil {
		failure.Component = e.name
		return nil, failure
	}
	resources, failure := bindResources(e.name, e.opts.requirements, given, s.instances)
	if failure != nil {
		return nil, failure
	}
	return &checkedStep{entry: e, config: config, resources: resources}, nil
}

// checkChain checks the header's step, then each stage of `then`, before
// anything runs.
func (s *server) checkChain(h *pluginv1.InvokeHeader) ([]*checkedStep, *Error) {
	first, failure := s.checkStep(h.GetStep(), h.GetConfigJson(), h.GetResources())
	if failure != nil {
		return nil, failure
	}
	steps := []*checkedStep{first}
	for _, stage := range h.GetThen() {
		next, failure := s.checkStep(stage.GetStep(), stage.GetConfigJson(), stage.GetResources())
		if failure != nil {
			return nil, failure
		}
		steps = append(steps, next)
	}
	return steps, nil
}

// decodeInput is check 4 for the first step: the input decodes (INVALID_INPUT)
// or its segment maps (SEGMENT_NOT_FOUND, SEGMENT_INVALID). A source gets nil.
func decodeInput(e *stepEntry, in *inputSource) (*Table, *Error) {
	switch {
	case in.problem != nil:
		in.problem.Component = e.name
		return nil, in.problem
	case e.opts.noInput || !in.present:
		// A source ignores any input it is given; a call without input passes
		// nil, and step code that needs one returns MissingInput.
		return nil, nil
	case in.table != nil:
		return in.table, nil
	case in.segment != nil:
		var failure *Error
		if in.mapping, failure = mapSegment(in.segment); failure != nil {
			failure.Component = e.name
			return nil, failure
		}
		input, failure := decodeSegment(in.mapping, in.segment)
		if failure != nil {
			failure.Component = e.name
		}
		in.mapped = input
		return input, failure
	default:
		t, err := DecodeIPC(in.data)
		if err != nil {
			return nil, &Error{Code: CodeInvalidInput, Component: e.name,
				Message: fmt.Sprintf("the input of %s is not a valid Arrow IPC stream: %v", e.name, err)}
		}
		return t, nil
	}
}

// run checks the call (§5.1 for every step of the chain, then the input) and
// runs its steps on a goroutine of their own (a pooled worker) so that a
// cancel or a deadline is answered at once even when step code does not
// watch ctx. Cancel and the deadline cover the whole chain. Every lane
// (Invoke, InvokeStream, the frame lane) runs its calls through here.
func (s *server) run(ctx context.Context, h *pluginv1.InvokeHeader, in *inputSource) (out *Table, failure *Error) {
	steps, failure := s.checkChain(h)
	if failure != nil {
		return nil, failure
	}
	input, failure := decodeInput(steps[0].entry, in)
	if failure != nil {
		return nil, failure
	}

	callCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if h.GetTimeoutMs() > 0 { // the earlier of it and the gRPC deadline wins
		var stop context.CancelFunc
		callCtx, stop = context.WithTimeout(callCtx, time.Duration(h.GetTimeoutMs())*time.Millisecond)
		defer stop()
	}
	defer s.calls.add(h.GetCallId(), cancel)()
	if s.log.Enabled(ctx, LevelTrace) {
		s.log.Log(ctx, LevelTrace, "call started", "call_id", h.GetCallId(), "step", h.GetStep(), "stages", len(steps))
		defer func() {
			outcome := "ok"
			if failure != nil {
				outcome = string(failure.Code)
			}
			s.log.Log(ctx, LevelTrace, "call ended", "call_id", h.GetCallId(), "outcome", outcome)
		}()
	}

	if in.mapping != nil {
		in.mapping.hold() // step code may outlive a cancelled call: keep its input mapped
	}
	current := steps[0].entry.name // the step running now, for a cancellation answer
	running := make(chan string, len(steps))
	work := func() stepResult {
		if in.mapping != nil {
			defer in.mapping.release()
			// A segment truncated behind our back panics, not crashes; the
			// goroutine may be reused, so put the setting back after.
			defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		}
		return s.runSteps(callCtx, h.GetCallId(), steps, input, running)
	}
	if runInPlace(steps, input) {
		// Quick steps: no hand-off. A cancellation that comes meanwhile is
		// answered when they return (microseconds, by their record).
		r := work()
		if callCtx.Err() != nil {
			return nil, endedError(callCtx, lastStarted(running, current))
		}
		return r.out, r.failure
	}
	done := make(chan stepResult, 1)
	s.workers.do(func() { done <- work() })
	for {
		select {
		case name := <-running:
			current = name
		case r := <-done:
			if callCtx.Err() != nil { // cancelled: CANCELLED whatever the steps returned
				return nil, endedError(callCtx, current)
			}
			return r.out, r.failure
		case <-callCtx.Done():
			return nil, endedError(callCtx, current)
		}
	}
}

// runSteps runs the steps in order, each on the previous output (nil after a
// sink, and for a source). It stops at the first failure, naming that step,
// and before the next step once ctx is done. It reports each step it starts
// on running (buffered for every step, so it never blocks).
func (s *server) runSteps(ctx context.Context, callID string, steps []*checkedStep, input *Table, running chan<- string) stepResult {
	current := input
	for i, step := range steps {
		if ctx.Err() != nil {
			return stepResult{}
		}
		e := step.entry
		if i > 0 {
			running <- e.name
			if e.opts.noInput {
				current = nil
			}
		}
		out, failure := s.runOne(ctx, callID, step, current)
		if failure != nil {
			return stepResult{failure: failure}
		}
		if out != nil {
			if why := out.validOutput(); why != "" {
				return stepResult{failure: &Error{Code: CodeInvalidOutput, Component: e.name, Message: fmt.Sprintf("%s returned %s", e.name, why)}}
			}
		}
		current = out
	}
	return stepResult{out: current}
}

// runOne calls one step's code, turning a returned error or a panic into an
// Error naming the step (STEP_FAILED unless typed).
func (s *server) runOne(ctx context.Context, callID string, step *checkedStep, input *Table) (out *Table, failure *Error) {
	e := step.entry
	defer func() {
		if r := recover(); r != nil {
			out, failure = nil, panicError(r, CodeStepFailed, e.name, debug.Stack())
		}
	}()
	sctx := &StepContext{Context: ctx, CallID: callID, Name: e.name, Logger: s.log, resources: step.resources}
	started := time.Now()
	defer func() { e.pace.record(time.Since(started)) }()
	out, err := e.call(sctx, step.config, input)
	if err != nil {
		return nil, classify(err, CodeStepFailed, e.name, e.origin)
	}
	return out, nil
}

// runInPlace reports whether a call's steps all answered quickly of late
// and its input is small, so it runs on the calling goroutine (pace.go).
func runInPlace(steps []*checkedStep, input *Table) bool {
	if input != nil && input.NumRows() > smallInputRows {
		return false
	}
	for _, st := range steps {
		if !st.entry.pace.trusted() {
			return false
		}
	}
	return true
}

// lastStarted is the last step name reported on running, or current.
func lastStarted(running <-chan string, current string) string {
	for {
		select {
		case name := <-running:
			current = name
		default:
			return current
		}
	}
}
