package native

// The C ABI's function bodies in Go terms (abi.go converts the C arguments
// and results). Each recovers from a panic: unwinding into the host's C code
// would crash the host.

import (
	"context"
	"encoding/json"
	"fmt"
	"unsafe"

	"github.com/heddle-host/heddle/sdk-go/heddle"
	"google.golang.org/protobuf/encoding/protojson"
)

// manifestJSON is the protobuf JSON mapping the Rust SDK's library writes
// too: lowerCamelCase names, every field present, bytes as base64, enums as
// numbers.
var manifestJSON = protojson.MarshalOptions{EmitUnpopulated: true, UseEnumNumbers: true}

// describe returns the manifest as JSON, or false and an error JSON
// (INTERNAL when the plugin could not be built).
func describe() (text string, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			text, ok = errorJSON(internalPanic(r)), false
		}
	}()
	p, failure := plugin()
	if failure != nil {
		return errorJSON(failure), false
	}
	data, err := manifestJSON.Marshal(p.Manifest())
	if err != nil {
		return errorJSON(&heddle.Error{Code: heddle.CodeInternal, Message: fmt.Sprintf("the manifest cannot be written as JSON: %v", err)}), false
	}
	return string(data), true
}

// openResource opens an instance of kind (config null = "{}") and returns its
// id, or an error JSON: UNKNOWN_RESOURCE, INVALID_CONFIG, RESOURCE_INIT_FAILED,
// INVALID_INPUT for a null or non-UTF-8 argument.
func openResource(kind, config cArg) (id, errJSON string) {
	defer func() {
		if r := recover(); r != nil {
			id, errJSON = "", errorJSON(internalPanic(r))
		}
	}()
	p, failure := plugin()
	if failure != nil {
		return "", errorJSON(failure)
	}
	k, failure := kind.required("kind")
	if failure != nil {
		return "", errorJSON(failure)
	}
	c, failure := config.optional("config_json", "{}")
	if failure != nil {
		return "", errorJSON(failure)
	}
	id, failure = p.OpenResource(context.Background(), k, c)
	if failure != nil {
		return "", errorJSON(failure)
	}
	return id, ""
}

// closeResource closes an instance; "" on success, else an error JSON
// (RESOURCE_NOT_OPEN, STEP_FAILED for a failing close hook).
func closeResource(id cArg) (errJSON string) {
	defer func() {
		if r := recover(); r != nil {
			errJSON = errorJSON(internalPanic(r))
		}
	}()
	p, failure := plugin()
	if failure != nil {
		return errorJSON(failure)
	}
	instance, failure := id.required("instance_id")
	if failure != nil {
		return errorJSON(failure)
	}
	if failure := p.CloseResource(context.Background(), instance); failure != nil {
		return errorJSON(failure)
	}
	return ""
}

// invokeArgs are heddle_invoke_cancellable's arguments.
type invokeArgs struct {
	step, config, resources cArg
	in, out                 unsafe.Pointer // struct ArrowArrayStream*
	cancel                  *int32         // nil for heddle_invoke
	deadlineMs              uint32
}

// invoke runs a step: it takes ownership of the input stream (when there is
// one) and writes the output stream to a.out (left zeroed, release NULL, for
// a sink or on failure). It returns "" on success, else an error JSON with the
// codes of InProcess.Invoke, or INVALID_INPUT for bad arguments.
func invoke(a invokeArgs) (errJSON string) {
	defer collectSoon() // the input, or what the step made of it, may be garbage now
	defer func() {
		if r := recover(); r != nil {
			errJSON = errorJSON(internalPanic(r))
		}
	}()
	if a.out != nil {
		*(*cStream)(a.out) = cStream{}
	}
	// First, so that the stream is released even when a check fails.
	input, inputErr := readInput(a.in)
	if a.out == nil {
		return errorJSON(&heddle.Error{Code: heddle.CodeInvalidInput, Message: "out is null; pass a pointer to a zeroed ArrowArrayStream"})
	}
	p, failure := plugin()
	if failure != nil {
		return errorJSON(failure)
	}
	call, failure := a.call()
	if failure != nil {
		return errorJSON(failure)
	}
	call.Input, call.InputError = input, inputErr
	ctx, stop := watchCancel(context.Background(), a.cancel)
	out, failure := p.Invoke(ctx, call)
	stop()
	if failure != nil {
		return errorJSON(failure)
	}
	if out == nil {
		return ""
	}
	if failure := exportOutput(call.Step, out, a.out); failure != nil {
		return errorJSON(failure)
	}
	return ""
}

// call reads the string arguments. It fails with INVALID_INPUT for a null
// step, a non-UTF-8 string, or resources_json that is not a JSON object of
// strings.
func (a invokeArgs) call() (heddle.InProcessCall, *heddle.Error) {
	step, failure := a.step.required("step")
	if failure != nil {
		return heddle.InProcessCall{}, failure
	}
	config, failure := a.config.optional("config_json", "{}")
	if failure != nil {
		return heddle.InProcessCall{}, failure
	}
	resources, failure := a.resources.optional("resources_json", "{}")
	if failure != nil {
		return heddle.InProcessCall{}, failure
	}
	var bindings map[string]string
	if err := json.Unmarshal([]byte(resources), &bindings); err != nil {
		return heddle.InProcessCall{}, &heddle.Error{Code: heddle.CodeInvalidInput,
			Message: fmt.Sprintf("resources_json must be a JSON object of binding -> instance id strings: %v", err)}
	}
	return heddle.InProcessCall{Step: step, ConfigJSON: config, Resources: bindings, TimeoutMs: a.deadlineMs}, nil
}
