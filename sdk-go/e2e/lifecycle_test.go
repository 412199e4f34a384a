package e2e

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"github.com/heddle-host/heddle/sdk-go/heddle"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

func healthStatus(t testing.TB, p *proc, service string) string {
	t.Helper()
	resp, err := healthpb.NewHealthClient(p.conn).Check(ctx(t), &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		t.Fatalf("health check %q: %v", service, err)
	}
	return resp.GetStatus().String()
}

func TestWrongCookieExits3(t *testing.T) {
	for name, edit := range map[string]func(map[string]string){
		"wrong":   func(env map[string]string) { env["HEDDLE_PLUGIN_COOKIE"] = "nope" },
		"missing": func(env map[string]string) { delete(env, "HEDDLE_PLUGIN_COOKIE") },
	} {
		t.Run(name, func(t *testing.T) {
			p := launch(t, conformanceBin, edit)
			if code := p.wait(30 * time.Second); code != heddle.ExitCookieMismatch {
				t.Fatalf("exit %d, want 3", code)
			}
			if p.handshake != "" || !strings.Contains(p.stderr.String(), "HEDDLE_COOKIE_MISMATCH") ||
				!strings.Contains(p.stderr.String(), "heddle-host") {
				t.Errorf("handshake %q, stderr %q", p.handshake, p.stderr.String())
			}
		})
	}
}

func TestNoCommonVersionExits4(t *testing.T) {
	p := launch(t, conformanceBin, func(env map[string]string) { env["HEDDLE_PLUGIN_PROTOCOL_VERSIONS"] = "2,3" })
	if code := p.wait(30 * time.Second); code != heddle.ExitProtocolMismatch {
		t.Fatalf("exit %d, want 4", code)
	}
	msg := p.stderr.String()
	if !strings.Contains(msg, "HEDDLE_PROTOCOL_MISMATCH") || !strings.Contains(msg, "2,3") || !strings.Contains(msg, "[1]") {
		t.Errorf("stderr %q should name both version lists", msg)
	}
}

func TestPicksHighestSharedVersionAndReplacesStaleSocket(t *testing.T) {
	var socket string
	p := launch(t, conformanceBin, func(env map[string]string) {
		env["HEDDLE_PLUGIN_PROTOCOL_VERSIONS"] = "3, 1,2"
		socket = env["HEDDLE_PLUGIN_SOCKET"]
		if err := os.WriteFile(socket, []byte("stale"), 0o600); err != nil {
			t.Fatal(err)
		}
	})
	if !strings.HasPrefix(p.handshake, "HEDDLE|1|1|unix|"+socket) {
		t.Fatalf("handshake %q; stderr %s", p.handshake, p.stderr.String())
	}
	p.connect()
	if got := healthStatus(t, p, "plugin"); got != "SERVING" {
		t.Errorf("health %s", got)
	}
}

func TestShutdownRPC(t *testing.T) {
	p := start(t, conformanceBin)
	p.open(t, "counter", nil)
	if _, err := p.control.Shutdown(ctx(t), &pluginv1.ShutdownRequest{GraceMs: 2000}); err != nil {
		t.Fatalf("Shutdown should reply before the process exits: %v", err)
	}
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d after Shutdown; stderr:\n%s", code, p.stderr.String())
	}
	if _, err := os.Stat(p.socket); !os.IsNotExist(err) {
		t.Errorf("the socket file is left behind: %v", err)
	}
}

func TestShutdownLetsInFlightCallsFinish(t *testing.T) {
	p := launchTraced(t)
	done := p.invokeAsync(call{step: "sleep", callID: "finishing", config: map[string]any{"ms": 300}}, ctx(t))
	p.waitStarted("finishing")
	if _, err := p.control.Shutdown(ctx(t), &pluginv1.ShutdownRequest{GraceMs: 20_000}); err != nil {
		t.Fatal(err)
	}
	// While draining: health says NOT_SERVING and new calls are refused. The
	// plugin answers Shutdown first and starts draining right after, so poll.
	got := healthStatus(t, p, "plugin")
	for deadline := time.Now().Add(2 * time.Second); got != "NOT_SERVING" && time.Now().Before(deadline); got = healthStatus(t, p, "plugin") {
		time.Sleep(5 * time.Millisecond)
	}
	if got != "NOT_SERVING" {
		t.Errorf("health while shutting down: %s", got)
	}
	_, err := p.plugin.Invoke(ctx(t), &pluginv1.InvokeRequest{Header: call{step: "echo"}.header(t)})
	if status.Code(err) != codes.Unavailable {
		t.Errorf("a new call while shutting down: %v, want Unavailable", err)
	}
	resp := <-done
	if resp.GetError() != nil || resp.GetOutput() == nil {
		t.Fatalf("the in-flight call did not finish: %v", resp)
	}
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestShutdownCancelsCallsPastGrace(t *testing.T) {
	p := launchTraced(t)
	done := p.invokeAsync(call{step: "sleep", callID: "endless", config: map[string]any{"ms": 600_000}}, ctx(t))
	p.waitStarted("endless")
	if _, err := p.control.Shutdown(ctx(t), &pluginv1.ShutdownRequest{GraceMs: 100}); err != nil {
		t.Fatal(err)
	}
	if resp := <-done; resp.GetError().GetCode() != heddle.CodeCancelled.Proto() {
		t.Errorf("call past the grace answered %v, want CANCELLED", resp.GetError())
	}
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestStdinEOFExits(t *testing.T) {
	p := start(t, conformanceBin)
	_ = p.stdin.Close()
	if code := p.wait(10 * time.Second); code != 0 {
		t.Fatalf("exit %d after stdin EOF", code)
	}
}

func TestSIGTERMExits(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			p := start(t, conformanceBin)
			if got := healthStatus(t, p, ""); got != "SERVING" {
				t.Fatalf("health %s", got)
			}
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(10 * time.Second); code != 0 {
				t.Fatalf("exit %d after %v", code, sig)
			}
		})
	}
}
