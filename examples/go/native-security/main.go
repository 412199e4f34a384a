// Command native-security is the security plugin (vault resource + hash
// step, package examples/go/security/security, unchanged) built as a C shared
// library that the host loads into its own process (runtime "native"):
//
//	go build -buildmode=c-shared -o libnative-security.so .
//
// Only the entry differs from the process plugin: native.Export instead of
// Serve.
package main

import (
	"github.com/heddle-host/heddle/examples/go/security/security"
	"github.com/heddle-host/heddle/sdk-go/heddle/native"
)

func init() { native.Export(security.NewPlugin) }

func main() {} // a c-shared library needs a main package; main never runs
