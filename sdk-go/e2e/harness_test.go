// Package e2e starts real plugin processes built with the SDK (the
// conformance plugin and the security example), speaks the protocol to them
// over their Unix socket with the generated gRPC client, and checks what
// they answer.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"github.com/heddle-host/heddle/sdk-go/heddle"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Binaries built once by TestMain.
var (
	conformanceBin    string
	securityBin       string
	leavesChildrenBin string
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if path := os.Getenv(udsEchoEnv); path != "" { // the floor of the frame benchmarks
		return udsEcho(path)
	}
	dir, err := os.MkdirTemp("", "heddle-go-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	conformanceBin = filepath.Join(dir, "conformance")
	securityBin = filepath.Join(dir, "security")
	leavesChildrenBin = filepath.Join(dir, "leaves-children")
	for bin, src := range map[string]string{
		conformanceBin:    "../../test/conformance/plugins/go",
		securityBin:       "../../examples/go/security",
		leavesChildrenBin: "../../test/fixtures-go/leaves-children",
	} {
		args := []string{"build", "-o", bin}
		if os.Getenv("HEDDLE_E2E_RACE") != "" { // run the plugins under the race detector
			args = append(args, "-race")
		}
		build := exec.Command("go", append(args, ".")...)
		build.Dir = src
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s failed: %v\n%s", src, err, out)
			return 1
		}
	}
	return m.Run()
}

// proc is one running plugin process and a client connected to it.
type proc struct {
	t         testing.TB
	cmd       *exec.Cmd
	dir       string
	socket    string
	handshake string
	stdin     io.WriteCloser
	stderr    *lockedBuffer
	conn      *grpc.ClientConn
	plugin    pluginv1.PluginServiceClient
	control   pluginv1.ControllerServiceClient
	done      chan struct{}
	exitCode  int
}

// lockedBuffer collects a process's stderr while tests read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// protocolEnv is the environment a host gives a plugin (protocol §2.1).
func protocolEnv(socket string) map[string]string {
	return map[string]string{
		"HEDDLE_PLUGIN_COOKIE":            heddle.Cookie,
		"HEDDLE_PLUGIN_PROTOCOL_VERSIONS": "1",
		"HEDDLE_PLUGIN_SOCKET":            socket,
		"HEDDLE_LOG_LEVEL":                "info",
		"HEDDLE_PLUGIN_NAME":              "under-test",
	}
}

// launch starts bin the way a host does, with env changed by edit; it does
// not wait for the handshake.
func launch(t testing.TB, bin string, edit func(env map[string]string)) *proc {
	t.Helper()
	dir, err := os.MkdirTemp("", "hg")
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, dir: dir, socket: filepath.Join(dir, "p.sock"), stderr: &lockedBuffer{}, done: make(chan struct{})}
	env := protocolEnv(p.socket)
	if edit != nil {
		edit(env)
	}
	p.cmd = exec.Command(bin)
	p.cmd.Dir = dir
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HEDDLE_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stderr = p.stderr
	p.cmd.WaitDelay = time.Second // a child may hold stderr open after the plugin exits
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- strings.TrimRight(line, "\n")
		_, _ = io.Copy(io.Discard, r)
	}()
	go func() {
		_ = p.cmd.Wait()
		p.exitCode = p.cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(p.cleanup)
	select {
	case p.handshake = <-lines:
	case <-time.After(60 * time.Second):
		t.Fatalf("no handshake line within 60 s; stderr:\n%s", p.stderr.String())
	}
	return p
}

// start launches bin with the protocol environment and connects a client.
func start(t testing.TB, bin string) *proc {
	t.Helper()
	p := launch(t, bin, nil)
	p.connect()
	return p
}

// connect dials the plugin's socket once it has printed its handshake line.
func (p *proc) connect() {
	p.t.Helper()
	if p.handshake == "" {
		p.t.Fatalf("the plugin exited before its handshake line; stderr:\n%s", p.stderr.String())
	}
	conn, err := grpc.NewClient("unix://"+p.socket,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(64<<20)))
	if err != nil {
		p.t.Fatal(err)
	}
	p.conn = conn
	p.plugin = pluginv1.NewPluginServiceClient(conn)
	p.control = pluginv1.NewControllerServiceClient(conn)
}

// wait waits for the process to exit and returns its status, failing the
// test if it is still running after d.
func (p *proc) wait(d time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.exitCode
	case <-time.After(d):
		p.t.Fatalf("the plugin did not exit within %v; stderr:\n%s", d, p.stderr.String())
		return -1
	}
}

// cleanup ends the process (stdin EOF, then SIGKILL to its group) and removes
// its socket directory.
func (p *proc) cleanup() {
	if p.conn != nil {
		_ = p.conn.Close()
	}
	_ = p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	_ = os.RemoveAll(p.dir)
}

// ctx returns a context for one RPC, bounded so a hung plugin fails the test
// instead of hanging it.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}
