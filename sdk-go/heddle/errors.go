package heddle

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

// Code is a stable error code: the name of an ErrorCode in
// proto/heddle/plugin/v1/errors.proto without its ERROR_CODE_ prefix. It is what
// the host's CLI prints (error[INVALID_CONFIG] …) and what scripts match on.
type Code string

// The codes a plugin may raise (1–99 in errors.proto).
const (
	CodeInvalidConfig      Code = "INVALID_CONFIG"
	CodeInvalidInput       Code = "INVALID_INPUT"
	CodeUnknownStep        Code = "UNKNOWN_STEP"
	CodeUnknownResource    Code = "UNKNOWN_RESOURCE"
	CodeResourceNotOpen    Code = "RESOURCE_NOT_OPEN"
	CodeResourceInitFailed Code = "RESOURCE_INIT_FAILED"
	CodeStepFailed         Code = "STEP_FAILED"
	CodeInvalidOutput      Code = "INVALID_OUTPUT"
	CodeCancelled          Code = "CANCELLED"
	CodeDeadlineExceeded   Code = "DEADLINE_EXCEEDED"
	CodeUnknownCommand     Code = "UNKNOWN_COMMAND"
	CodeCommandFailed      Code = "COMMAND_FAILED"
	CodeUnsupported        Code = "UNSUPPORTED"
	CodeMissingResource    Code = "MISSING_RESOURCE"
	CodeInternal           Code = "INTERNAL"
)

// The data-plane codes (150–199 in errors.proto, protocol §8): the SDK raises
// them for shared-memory segments it cannot read or write.
const (
	CodeSegmentInvalid  Code = "SEGMENT_INVALID"
	CodeSegmentNotFound Code = "SEGMENT_NOT_FOUND"
	CodeSegmentTooLarge Code = "SEGMENT_TOO_LARGE"
	CodeShmUnavailable  Code = "SHM_UNAVAILABLE"
)

// Proto returns the wire enum value of c, or ERROR_CODE_INTERNAL when c is
// not a name from errors.proto (so a typo never reaches the host as 0).
func (c Code) Proto() pluginv1.ErrorCode {
	if v, ok := pluginv1.ErrorCode_value["ERROR_CODE_"+string(c)]; ok {
		return pluginv1.ErrorCode(v)
	}
	return pluginv1.ErrorCode_ERROR_CODE_INTERNAL
}

// Error is a failure with a stable Code. Step, handler, resource and command
// code return one (directly or wrapped) to choose the code the host reports;
// any other error becomes STEP_FAILED, COMMAND_FAILED or RESOURCE_INIT_FAILED.
type Error struct {
	// Code is the stable code the host and CLI show.
	Code Code
	// Message says what was wrong and what to do about it.
	Message string
	// Field is the JSON pointer of the offending config field (INVALID_CONFIG).
	Field string
	// Component is the step, resource or command the error belongs to; the SDK
	// fills it in when empty.
	Component string
	// Stack is where the error was made, in Go's own stack format.
	Stack string
	cause error
}

// NewError returns an Error with the given code and message, recording the
// caller's stack. It never fails.
func NewError(code Code, message string) *Error {
	return &Error{Code: code, Message: message, Stack: callerStack(2)}
}

// Errorf is NewError with a formatted message; a %w verb makes the wrapped
// error reachable through errors.Is/As. It never fails.
func Errorf(code Code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Stack: callerStack(2), cause: errors.Unwrap(err)}
}

// Error formats the error as "CODE: message".
func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Unwrap returns the error wrapped with %w in Errorf, if any.
func (e *Error) Unwrap() error { return e.cause }

// toProto converts e for the wire.
func (e *Error) toProto() *pluginv1.Error {
	return &pluginv1.Error{
		Code:      e.Code.Proto(),
		Message:   e.Message,
		Component: e.Component,
		Stack:     e.Stack,
		Field:     e.Field,
	}
}

// configError is an INVALID_CONFIG error naming the field at pointer.
func configError(pointer, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidConfig, Field: pointer, Message: fmt.Sprintf(format, args...)}
}

// classify turns whatever plugin code returned into an *Error: a typed *Error
// anywhere in the chain keeps its code; anything else gets fallback, with a
// stack naming the plugin function that returned it (Go errors carry none).
func classify(err error, fallback Code, component, origin string) *Error {
	var typed *Error
	if errors.As(err, &typed) {
		out := *typed
		if out.Component == "" {
			out.Component = component
		}
		if out.Stack == "" {
			out.Stack = origin
		}
		if out.Message == "" {
			out.Message = err.Error()
		}
		return &out
	}
	return &Error{Code: fallback, Message: err.Error(), Component: component, Stack: errorChain(err) + origin}
}

// panicError turns a recovered panic into an *Error with the panicking stack.
func panicError(recovered any, fallback Code, component string, stack []byte) *Error {
	if err, ok := recovered.(error); ok {
		var typed *Error
		if errors.As(err, &typed) {
			return classify(err, fallback, component, string(stack))
		}
	}
	return &Error{Code: fallback, Message: fmt.Sprintf("panic: %v", recovered), Component: component, Stack: string(stack)}
}

// errorChain lists every wrapped layer of err, outermost first, so the host
// shows where each wrap happened even though Go errors have no stack.
func errorChain(err error) string {
	var b strings.Builder
	for e := err; e != nil; e = errors.Unwrap(e) {
		fmt.Fprintf(&b, "error %T: %s\n", e, e.Error())
	}
	return b.String()
}

// callerStack formats the calling goroutine's stack from skip frames up, in
// the "function\n\tfile:line" layout of Go panics.
func callerStack(skip int) string {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(skip+1, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var b strings.Builder
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") {
			fmt.Fprintf(&b, "%s\n\t%s:%d\n", f.Function, f.File, f.Line)
		}
		if !more {
			break
		}
	}
	return b.String()
}

// funcOrigin names a plugin function and where it is defined, used as the
// stack of an error that plugin function returned.
func funcOrigin(kind, name string, pc uintptr) string {
	f := runtime.FuncForPC(pc)
	if f == nil {
		return fmt.Sprintf("returned by %s %q\n", kind, name)
	}
	file, line := f.FileLine(pc)
	return fmt.Sprintf("returned by %s %q: %s\n\t%s:%d\n", kind, name, f.Name(), file, line)
}
