// Command leaves-children is a misbehaving fixture plugin built with the Go
// SDK: at start it launches long-running children in its own process group
// and, when told to stop, exits without stopping them. One child ignores
// SIGTERM and one holds the plugin's stderr open, so only a host that kills
// the whole process group (SIGKILL after the grace) leaves nothing behind.
// Step `pids` (no input) returns the plugin's pid followed by the children's,
// as in test/fixtures/leaves-children.
package main

import (
	"fmt"
	"os"
	"os/exec"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/heddle-host/heddle/sdk-go/heddle"
)

// startChild starts a child in the plugin's process group (no Setpgid), with
// stdin and stdout on /dev/null and, when keepStderr, the plugin's stderr.
func startChild(keepStderr bool, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	if keepStderr {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "leaves-children: cannot start %s: %v\n", name, err)
		os.Exit(1)
	}
	return cmd
}

type noConfig struct{}

func main() {
	children := []*exec.Cmd{
		startChild(false, "sleep", "300"),
		startChild(true, "sleep", "300"),
		startChild(false, "sh", "-c", "trap '' TERM; sleep 300 & wait"),
	}
	pidSchema := arrow.NewSchema([]arrow.Field{{Name: "pid", Type: arrow.PrimitiveTypes.Int32}}, nil)

	p := heddle.NewPlugin(heddle.Info{Namespace: "children", Version: "1.0.0"})
	heddle.Step(p, "pids", func(*heddle.StepContext, noConfig, *heddle.Table) (*heddle.Table, error) {
		rows := []map[string]any{{"pid": os.Getpid()}}
		for _, c := range children {
			rows = append(rows, map[string]any{"pid": c.Process.Pid})
		}
		return heddle.TableFromRows(pidSchema, rows)
	}, heddle.NoInput(), heddle.OutputSchema(pidSchema))
	p.Serve() // exits without waiting for or stopping the children
}
