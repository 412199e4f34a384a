package heddle

import (
	"bytes"
	"context"
	"strings"
	"testing"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

func runWith(t *testing.T, env map[string]string) (int, string, string) {
	t.Helper()
	p := NewPlugin(Info{Namespace: "t"})
	var stdout, stderr bytes.Buffer
	code := p.Run(RunOptions{Getenv: func(k string) string { return env[k] }, Stdin: strings.NewReader(""),
		Stdout: &stdout, Stderr: &stderr, NoSignals: true})
	return code, stdout.String(), stderr.String()
}

func TestRunStartFailures(t *testing.T) {
	code, out, errText := runWith(t, map[string]string{"HEDDLE_PLUGIN_COOKIE": "x"})
	if code != ExitCookieMismatch || out != "" || !strings.Contains(errText, "HEDDLE_COOKIE_MISMATCH") {
		t.Errorf("wrong cookie: %d %q %q", code, out, errText)
	}
	code, _, errText = runWith(t, map[string]string{"HEDDLE_PLUGIN_COOKIE": Cookie, "HEDDLE_PLUGIN_PROTOCOL_VERSIONS": "2, x"})
	if code != ExitProtocolMismatch || !strings.Contains(errText, "HEDDLE_PROTOCOL_MISMATCH") || !strings.Contains(errText, "[2, x]") {
		t.Errorf("no version: %d %q", code, errText)
	}
	code, _, errText = runWith(t, map[string]string{"HEDDLE_PLUGIN_COOKIE": Cookie, "HEDDLE_PLUGIN_PROTOCOL_VERSIONS": "1"})
	if code != ExitStartFailed || !strings.Contains(errText, "HEDDLE_PLUGIN_SOCKET") {
		t.Errorf("no socket: %d %q", code, errText)
	}
}

func TestRunServesUntilStdinEOF(t *testing.T) {
	socket := t.TempDir() + "/p.sock"
	code, out, errText := runWith(t, map[string]string{"HEDDLE_PLUGIN_COOKIE": Cookie, "HEDDLE_PLUGIN_PROTOCOL_VERSIONS": "1", "HEDDLE_PLUGIN_SOCKET": socket})
	if code != ExitOK || out != "HEDDLE|1|1|unix|"+socket+"|grpc\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errText)
	}
}

func TestPickVersion(t *testing.T) {
	for offered, want := range map[string]uint32{"1": 1, "3,2,1": 1, " 1 ,9": 1, "2": 0, "": 0, "x": 0} {
		if got := pickVersion(offered); got != want {
			t.Errorf("%q: %d", offered, got)
		}
	}
}

type vault struct{ closed bool }

func (v *vault) Close() error { v.closed = true; return nil }

type hashConfig struct {
	StepConfig[*vault]
	Algorithm string `json:"algorithm"`
}

func TestRegistrationMistakesPanic(t *testing.T) {
	step := func(*StepContext, hashConfig, *Table) (*Table, error) { return nil, nil }
	for name, register := range map[string]func(p *Plugin){
		"bad name":   func(p *Plugin) { Step(p, "a b", step, UseResource("v")) },
		"twice":      func(p *Plugin) { Step(p, "s", step, UseResource("v")); Step(p, "s", step, UseResource("v")) },
		"no binding": func(p *Plugin) { Step(p, "s", step) },
		"option":     func(p *Plugin) { Step(p, "s", step, UseResource("v"), Mode(ModeSync)) },
		"unknown resource": func(p *Plugin) {
			Step(p, "s", step, UseResource("v"))
			p.checkRequirements()
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(r.(string), "heddle: ") {
					t.Fatalf("want a heddle panic, got %v", r)
				}
			}()
			register(NewPlugin(Info{Namespace: "t"}))
		})
	}
}

func TestResourceInjectionAndCloseOnShutdown(t *testing.T) {
	p := NewPlugin(Info{Namespace: "t"})
	var opened []*vault
	Resource(p, "vault", func(_ context.Context, _ struct{}) (*vault, error) {
		v := &vault{}
		opened = append(opened, v)
		return v, nil
	})
	var injected *vault
	Step(p, "hash", func(_ *StepContext, c hashConfig, _ *Table) (*Table, error) {
		injected = c.Resource()
		return nil, nil
	}, UseResource("vault"), NoInput())
	conn, stop := serveInProcess(t, p)
	client := pluginv1.NewPluginServiceClient(conn)
	ctx := context.Background()
	open, err := client.OpenResource(ctx, &pluginv1.OpenResourceRequest{Resource: "vault", ConfigJson: "{}"})
	if err != nil || open.GetInstanceId() != "vault-1" {
		t.Fatalf("%v %v", open, err)
	}
	resp, err := client.Invoke(ctx, &pluginv1.InvokeRequest{Header: &pluginv1.InvokeHeader{Step: "hash",
		ConfigJson: `{"algorithm":"x"}`, Resources: map[string]string{"vault": "vault-1"}}})
	if err != nil || resp.GetError() != nil || resp.GetOutput() != nil {
		t.Fatalf("%v %v", resp, err)
	}
	if injected == nil || injected != opened[0] {
		t.Fatal("the bound vault was not injected into the config")
	}
	stop()
	if !opened[0].closed {
		t.Error("shutdown did not close the open instance")
	}
}

func TestCommandCancel(t *testing.T) {
	p := NewPlugin(Info{Namespace: "t"})
	Command(p, "wait", func(ctx *CommandContext, _ struct{}) (*Table, error) {
		if err := ctx.Stdout("waiting\nstill waiting\n"); err != nil {
			return nil, err
		}
		<-ctx.Done()
		return nil, nil
	})
	conn, _ := serveInProcess(t, p)
	client, control := pluginv1.NewPluginServiceClient(conn), pluginv1.NewControllerServiceClient(conn)
	stream, err := client.RunCommand(context.Background(), &pluginv1.RunCommandRequest{CallId: "job-call", Command: "wait"})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for len(lines) < 2 { // both lines arrive before the command blocks
		ev, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, ev.GetStdoutLine())
	}
	if lines[0] != "waiting" || lines[1] != "still waiting" {
		t.Errorf("lines %q", lines)
	}
	found, err := control.Cancel(context.Background(), &pluginv1.CancelRequest{CallId: "job-call"})
	if err != nil || !found.GetFound() {
		t.Fatalf("cancel: %v %v", found, err)
	}
	ev, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	st := ev.GetStatus()
	if st.GetState() != pluginv1.CommandState_COMMAND_STATE_CANCELED || st.GetError().GetCode() != pluginv1.ErrorCode_ERROR_CODE_CANCELLED || st.GetExitCode() != exitCancelled {
		t.Fatalf("status %v", st)
	}
}

func TestStepPanicIsStepFailedWithStack(t *testing.T) {
	p := NewPlugin(Info{Namespace: "t"})
	Step(p, "boom", func(*StepContext, struct{}, *Table) (*Table, error) { panic("kaboom") }, NoInput())
	conn, _ := serveInProcess(t, p)
	resp, err := pluginv1.NewPluginServiceClient(conn).Invoke(context.Background(), &pluginv1.InvokeRequest{Header: &pluginv1.InvokeHeader{Step: "boom"}})
	if err != nil {
		t.Fatal(err)
	}
	e := resp.GetError()
	if e.GetCode() != pluginv1.ErrorCode_ERROR_CODE_STEP_FAILED || e.GetMessage() != "panic: kaboom" || !strings.Contains(e.GetStack(), "TestStepPanicIsStepFailedWithStack") {
		t.Fatalf("%v", e)
	}
}
