// Package native exports the Heddle C ABI (native/include/heddle_plugin.h,
// docs/in-process.md) for a heddle.Plugin, so that the program builds with
// `go build -buildmode=c-shared` into a library the host loads into its own
// process (runtime "native"): no process, no socket, tables passed as Arrow
// C Streams without copying.
//
//	package main
//
//	func init() { native.Export(buildPlugin) } // the same *heddle.Plugin that Serve would run
//
//	func main() {} // required by c-shared, never called
//
// Calls go through the SDK's one invoke pipeline (package heddle, InProcess),
// so they are checked and answered as in a served plugin, with the same
// codes. The input stream is imported in place; the output is exported with
// arrow-go's cdata (its column buffers are the step's own memory, and a
// column passed through is the host's own memory again).
package native

import (
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/heddle-host/heddle/sdk-go/heddle"
)

// ABIVersion is what heddle_plugin_abi_version answers: the version of
// heddle_plugin.h this package implements.
const ABIVersion = 1

var (
	exportMu sync.Mutex
	build    func() *heddle.Plugin
	once     sync.Once
	served   *heddle.InProcess
	failure  *heddle.Error // why the plugin could not be built
)

// Export makes this library serve the plugin that build returns. Call it once,
// from an init function of the main package; build runs once, on the first
// call the host makes (as with the Rust SDK's export_plugin!). It panics when
// build is nil or Export was already called.
func Export(buildPlugin func() *heddle.Plugin) {
	exportMu.Lock()
	defer exportMu.Unlock()
	if buildPlugin == nil {
		panic("heddle/native: Export(nil): pass the function that builds your *heddle.Plugin")
	}
	if build != nil {
		panic("heddle/native: Export called twice: a library serves one plugin")
	}
	build = buildPlugin
}

// plugin returns the plugin being served, building it on first use. It fails
// with INTERNAL when nothing was exported, or when building it returned nil or
// panicked (e.g. a registration mistake).
func plugin() (*heddle.InProcess, *heddle.Error) {
	once.Do(func() {
		exportMu.Lock()
		b := build
		exportMu.Unlock()
		if b == nil {
			failure = &heddle.Error{Code: heddle.CodeInternal, Message: "this library exports no plugin: call native.Export(buildPlugin) in an init function of its main package"}
			return
		}
		defer func() {
			if r := recover(); r != nil {
				failure = &heddle.Error{Code: heddle.CodeInternal, Message: fmt.Sprintf("building the plugin panicked: %v", r), Stack: string(debug.Stack())}
			}
		}()
		p := b()
		if p == nil {
			failure = &heddle.Error{Code: heddle.CodeInternal, Message: "the function given to native.Export returned a nil *heddle.Plugin"}
			return
		}
		served = heddle.NewInProcess(p)
	})
	return served, failure
}
