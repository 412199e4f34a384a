package native

// The exported C symbols of heddle_plugin.h (ABI version 1). They only
// convert between C and Go (calls.go has the bodies). Strings handed to the
// host are malloc'd copies that it frees with heddle_free_string.
//
// The preamble declares, rather than includes, what the symbols need: with
// //export, cgo writes its own prototypes (char* where the header has
// const char*), which must not meet the header's in one translation unit.

/*
#include <stdint.h>
#include <stdlib.h>
struct ArrowArrayStream;
*/
import "C"

import "unsafe"

// goArg reads a C string argument (NULL stays unset).
func goArg(s *C.char) cArg {
	if s == nil {
		return cArg{}
	}
	return cArg{value: C.GoString(s), set: true}
}

// put stores a malloc'd copy of text in *slot when slot is not NULL.
func put(slot **C.char, text string) {
	if slot != nil {
		*slot = C.CString(text)
	}
}

// result is 0 when errJSON is empty; otherwise it stores errJSON in *slot and is 1.
func result(slot **C.char, errJSON string) C.int32_t {
	if errJSON == "" {
		return 0
	}
	put(slot, errJSON)
	return 1
}

//export heddle_plugin_abi_version
func heddle_plugin_abi_version() C.uint32_t { return ABIVersion }

//export heddle_describe
func heddle_describe(manifestJSON **C.char) C.int32_t {
	text, ok := describe()
	put(manifestJSON, text) // on failure the error JSON, told apart by its "code" key
	if !ok {
		return 1
	}
	return 0
}

//export heddle_open_resource
func heddle_open_resource(kind, configJSON *C.char, instanceID, errorJSON **C.char) C.int32_t {
	id, errJSON := openResource(goArg(kind), goArg(configJSON))
	if errJSON == "" {
		put(instanceID, id)
	}
	return result(errorJSON, errJSON)
}

//export heddle_close_resource
func heddle_close_resource(instanceID *C.char, errorJSON **C.char) C.int32_t {
	return result(errorJSON, closeResource(goArg(instanceID)))
}

//export heddle_invoke
func heddle_invoke(step, configJSON, resourcesJSON *C.char, in, out *C.struct_ArrowArrayStream, errorJSON **C.char) C.int32_t {
	return result(errorJSON, invoke(invokeArgs{step: goArg(step), config: goArg(configJSON), resources: goArg(resourcesJSON),
		in: unsafe.Pointer(in), out: unsafe.Pointer(out)}))
}

//export heddle_invoke_cancellable
func heddle_invoke_cancellable(step, configJSON, resourcesJSON *C.char, in, out *C.struct_ArrowArrayStream,
	cancel *C.int32_t, deadlineMs C.uint32_t, errorJSON **C.char) C.int32_t {
	return result(errorJSON, invoke(invokeArgs{step: goArg(step), config: goArg(configJSON), resources: goArg(resourcesJSON),
		in: unsafe.Pointer(in), out: unsafe.Pointer(out), cancel: (*int32)(unsafe.Pointer(cancel)), deadlineMs: uint32(deadlineMs)}))
}

//export heddle_free_string
func heddle_free_string(s *C.char) {
	C.free(unsafe.Pointer(s)) // free(NULL) does nothing
}
