package e2e

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

// The leaves-children fixture must misbehave as the host's test expects: its
// children outlive the plugin process until its group is killed.
func TestLeavesChildrenFixture(t *testing.T) {
	p := start(t, leavesChildrenBin)
	out := p.invokeOK(t, call{step: "pids"})
	rows := out.ToRows()
	if len(rows) != 4 || rows[0]["pid"] != int64(p.cmd.Process.Pid) {
		t.Fatalf("pids %v, want the plugin's pid then three children", rows)
	}
	pgid := p.cmd.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	if _, err := p.control.Shutdown(ctx(t), &pluginv1.ShutdownRequest{GraceMs: 500}); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, r := range rows[1:] {
		if !running(int(r["pid"].(int64))) {
			t.Errorf("child %v did not outlive the plugin", r["pid"])
		}
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil {
		t.Fatalf("killing the group: %v", err)
	}
	for _, r := range rows[1:] {
		pid := int(r["pid"].(int64))
		for i := 0; running(pid); i++ {
			if i > 500 {
				t.Fatalf("child %d survived SIGKILL to its group", pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// running reports whether pid exists and is not a zombie waiting to be reaped
// (killed children are reparented to init, which reaps them when it likes).
func running(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}
