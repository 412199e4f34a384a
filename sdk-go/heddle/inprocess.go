package heddle

// Serving calls made inside the host process (runtime "native": the C ABI of
// native/include/heddle_plugin.h, exported by package heddle/native). It is
// the server Run starts, minus the sockets: a call goes through the one
// invoke pipeline (server.run: the checks of protocol §5.1 in order, the step
// on a worker goroutine, cancellation and the deadline), so a plugin loaded
// in-process answers exactly as a served one, with the same codes.

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

// InProcess serves one Plugin's calls inside the process that loaded it. It
// is the entry point of package heddle/native; plugin code does not use it.
// Its methods are safe for concurrent use.
type InProcess struct {
	srv   *server
	calls atomic.Uint64
}

// InProcessCall is one step call made in-process.
type InProcessCall struct {
	Step       string
	ConfigJSON string
	// Resources maps each binding to an open instance id.
	Resources map[string]string
	// Input is the call's table, read in place; nil when the call has none.
	Input *Table
	// InputError is why the input could not be read (INVALID_INPUT); it is
	// reported as check 4 of §5.1, after the step, config and resources.
	InputError *Error
	// TimeoutMs is the call's deadline in milliseconds from now; 0 = none.
	TimeoutMs uint32
}

// NewInProcess prepares p for in-process calls; p takes no registrations
// afterwards. Like Run, it panics when a component binds a resource kind p
// does not register.
func NewInProcess(p *Plugin) *InProcess {
	p.checkRequirements()
	p.serving.Store(true)
	noStop := func(string, uint32) {} // the host's process, not ours, decides when it ends
	srv := newServer(p, supportedVersions[0], Logger(), noStop, &shmPlace{}, "in-process calls pass tables as Arrow C streams")
	return &InProcess{srv: srv}
}

// Namespace is the plugin's namespace (components are "<namespace>.<name>").
func (ip *InProcess) Namespace() string { return ip.srv.plugin.info.Namespace }

// Manifest is what Describe answers. It never fails.
func (ip *InProcess) Manifest() *pluginv1.Manifest { return ip.srv.manifest }

// OpenResource validates configJSON, runs the resource's constructor and
// returns the new instance id. It fails with UNKNOWN_RESOURCE, INVALID_CONFIG
// or RESOURCE_INIT_FAILED (or the code of a typed *Error the constructor
// returned or panicked with).
func (ip *InProcess) OpenResource(ctx context.Context, kind, configJSON string) (string, *Error) {
	resp, err := ip.srv.OpenResource(ctx, &pluginv1.OpenResourceRequest{Resource: kind, ConfigJson: configJSON})
	if err != nil {
		return "", &Error{Code: CodeInternal, Message: err.Error()}
	}
	if e := resp.GetError(); e != nil {
		return "", errorFromProto(e)
	}
	return resp.GetInstanceId(), nil
}

// CloseResource forgets the instance and runs its close hook. It fails with
// RESOURCE_NOT_OPEN for an id that is not open, STEP_FAILED when the hook fails.
func (ip *InProcess) CloseResource(ctx context.Context, id string) *Error {
	resp, err := ip.srv.CloseResource(ctx, &pluginv1.CloseResourceRequest{InstanceId: id})
	if err != nil {
		return &Error{Code: CodeInternal, Message: err.Error()}
	}
	if e := resp.GetError(); e != nil {
		return errorFromProto(e)
	}
	return nil
}

// Invoke runs a step and returns its output (nil for a sink). It fails with
// the codes of protocol §5.1 in order (UNKNOWN_STEP, INVALID_CONFIG,
// MISSING_RESOURCE, RESOURCE_NOT_OPEN, INVALID_INPUT), then STEP_FAILED for
// an error or panic of step code (or the code of a typed *Error),
// INVALID_OUTPUT, and CANCELLED / DEADLINE_EXCEEDED when ctx ends (a cause of
// context.DeadlineExceeded counts as the deadline) or TimeoutMs passes: then
// it returns at once, while step code that ignores ctx may still run on its
// goroutine, holding the input.
func (ip *InProcess) Invoke(ctx context.Context, c InProcessCall) (*Table, *Error) {
	h := &pluginv1.InvokeHeader{
		CallId: fmt.Sprintf("inprocess-%d", ip.calls.Add(1)), Step: c.Step, ConfigJson: c.ConfigJSON,
		Resources: c.Resources, TimeoutMs: uint64(c.TimeoutMs),
	}
	in := &inputSource{table: c.Input, present: c.Input != nil || c.InputError != nil, problem: c.InputError}
	return ip.srv.run(ctx, h, in)
}

// errorFromProto turns an answer's Error back into an *Error.
func errorFromProto(e *pluginv1.Error) *Error {
	return &Error{Code: Code(strings.TrimPrefix(e.GetCode().String(), "ERROR_CODE_")), Message: e.GetMessage(),
		Field: e.GetField(), Component: e.GetComponent(), Stack: e.GetStack()}
}
