package heddle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
)

// StepContext is what step and handler code receives first. It is a
// context.Context: Done() closes when the host cancels the call
// (ControllerService.Cancel or the gRPC call itself), its deadline passes or
// the plugin shuts down; Err() then says which. Step code that runs for more
// than a few milliseconds should watch it.
type StepContext struct {
	context.Context
	// CallID is the host's id of this call (the one Cancel names).
	CallID string
	// Name is the step or handler being run, without namespace.
	Name string
	// Logger writes protocol JSON log lines to stderr.
	Logger    *slog.Logger
	resources map[string]any
}

// Resource returns the open resource instance bound under binding, and
// whether the call gave one (optional bindings may be absent).
func (c *StepContext) Resource(binding string) (any, bool) {
	v, ok := c.resources[binding]
	return v, ok
}

// Cancelled reports whether the call was cancelled or ran past its deadline.
func (c *StepContext) Cancelled() bool { return c.Err() != nil }

// ResourceAs returns the instance bound under binding as a T. It fails when
// the call gave no instance for binding or the instance is not a T.
func ResourceAs[T any](ctx *StepContext, binding string) (T, error) {
	var zero T
	v, ok := ctx.resources[binding]
	if !ok {
		return zero, NewError(CodeMissingResource, fmt.Sprintf("step %q has no resource bound as %q", ctx.Name, binding))
	}
	t, ok := v.(T)
	if !ok {
		return zero, NewError(CodeStepFailed, fmt.Sprintf("resource bound as %q is a %T, not a %T", binding, v, zero))
	}
	return t, nil
}

// Why a call's context ended, when it was not its deadline.
var (
	errCancelledByHost = errors.New("the host cancelled the call")
	errShuttingDown    = errors.New("the plugin shut down before the call finished")
)

// endedError says why ctx ended as CANCELLED or DEADLINE_EXCEEDED.
func endedError(ctx context.Context, component string) *Error {
	cause := context.Cause(ctx)
	if errors.Is(cause, context.DeadlineExceeded) {
		return &Error{Code: CodeDeadlineExceeded, Component: component,
			Message: fmt.Sprintf("%s ran past its deadline and was stopped; raise the call's timeout or make it faster", component)}
	}
	if cause == nil || errors.Is(cause, context.Canceled) {
		cause = errors.New("the caller cancelled the call")
	}
	return &Error{Code: CodeCancelled, Component: component, Message: fmt.Sprintf("%s was cancelled: %v", component, cause)}
}

// callRegistry maps the call ids of running calls to their cancel functions,
// for ControllerService.Cancel and for shutdown.
type callRegistry struct {
	mu    sync.Mutex
	calls map[string][]context.CancelCauseFunc
}

func newCallRegistry() *callRegistry {
	return &callRegistry{calls: map[string][]context.CancelCauseFunc{}}
}

// add registers a running call and returns the function that forgets it.
func (r *callRegistry) add(id string, cancel context.CancelCauseFunc) (remove func()) {
	r.mu.Lock()
	r.calls[id] = append(r.calls[id], cancel)
	idx := len(r.calls[id]) - 1
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		list := r.calls[id]
		if len(list) <= 1 {
			delete(r.calls, id)
			return
		}
		list[idx] = nil // keep indexes of other calls sharing the id stable
		for _, c := range list {
			if c != nil {
				return
			}
		}
		delete(r.calls, id)
	}
}

// cancel cancels every running call with id and reports whether there was one.
func (r *callRegistry) cancel(id string, cause error) bool {
	r.mu.Lock()
	list := append([]context.CancelCauseFunc(nil), r.calls[id]...)
	r.mu.Unlock()
	found := false
	for _, c := range list {
		if c != nil {
			c(cause)
			found = true
		}
	}
	return found
}

// cancelAll cancels every running call.
func (r *callRegistry) cancelAll(cause error) {
	r.mu.Lock()
	var all []context.CancelCauseFunc
	for _, list := range r.calls {
		all = append(all, list...)
	}
	r.mu.Unlock()
	for _, c := range all {
		if c != nil {
			c(cause)
		}
	}
}
