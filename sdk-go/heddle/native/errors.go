package native

// Errors across the C ABI: JSON {code, message, component?, field?, stack?}
// with the ErrorCode name (no ERROR_CODE_ prefix), as heddle_plugin.h says.
// Components are "<namespace>.<name>", as the Rust SDK's library names them.

import (
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/heddle-host/heddle/sdk-go/heddle"
)

// errorJSON encodes e for the host. It never fails.
func errorJSON(e *heddle.Error) string {
	type wire struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		Component string `json:"component,omitempty"`
		Field     string `json:"field,omitempty"`
		Stack     string `json:"stack,omitempty"`
	}
	data, err := json.Marshal(wire{Code: string(e.Code), Message: e.Message, Component: qualified(e.Component), Field: e.Field, Stack: e.Stack})
	if err != nil { // only strings: cannot happen, but never hand the host invalid JSON
		return `{"code":"INTERNAL","message":"the plugin could not encode its error as JSON"}`
	}
	return string(data)
}

// qualified prefixes a component name with the plugin's namespace.
func qualified(component string) string {
	p, failure := plugin()
	if component == "" || failure != nil || strings.HasPrefix(component, p.Namespace()+".") {
		return component
	}
	return p.Namespace() + "." + component
}

// internalPanic is the INTERNAL error for a panic outside step code (steps'
// panics are STEP_FAILED, constructors' RESOURCE_INIT_FAILED: the SDK catches
// those). Unwinding into the host's C code would crash the host.
func internalPanic(recovered any) *heddle.Error {
	return &heddle.Error{Code: heddle.CodeInternal, Message: fmt.Sprintf("the plugin panicked outside step code: %v", recovered), Stack: string(debug.Stack())}
}

// cArg is a C string argument read into Go: null is false.
type cArg struct {
	value string
	set   bool
}

// required returns a's value. It fails with INVALID_INPUT naming what when
// it is null or not UTF-8.
func (a cArg) required(what string) (string, *heddle.Error) {
	if !a.set {
		return "", &heddle.Error{Code: heddle.CodeInvalidInput, Message: what + " is null; pass a NUL-terminated UTF-8 string"}
	}
	return a.optional(what, "")
}

// optional returns a's value, or otherwise when it is null. It fails with
// INVALID_INPUT naming what when it is not UTF-8.
func (a cArg) optional(what, otherwise string) (string, *heddle.Error) {
	if !a.set {
		return otherwise, nil
	}
	if !utf8.ValidString(a.value) {
		return "", &heddle.Error{Code: heddle.CodeInvalidInput, Message: what + " is not valid UTF-8"}
	}
	return a.value, nil
}
