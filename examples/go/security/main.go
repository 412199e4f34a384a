// Command security serves the seed's security plugin (package security: a
// vault resource and a hash step) as a plugin process started by the host.
package main

import "github.com/heddle-host/heddle/examples/go/security/security"

func main() {
	security.NewPlugin().Serve()
}
