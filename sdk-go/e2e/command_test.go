package e2e

import (
	"io"
	"slices"
	"testing"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"github.com/heddle-host/heddle/sdk-go/heddle"
)

type commandRun struct {
	stdout, stderr []string
	result         []byte
	status         *pluginv1.CommandStatus
}

func (p *proc) runCommand(t testing.TB, req *pluginv1.RunCommandRequest) commandRun {
	t.Helper()
	stream, err := p.plugin.RunCommand(ctx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	var run commandRun
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if run.status != nil {
			t.Fatal("an event arrived after the status")
		}
		switch e := ev.GetEvent().(type) {
		case *pluginv1.RunCommandResponse_StdoutLine:
			run.stdout = append(run.stdout, e.StdoutLine)
		case *pluginv1.RunCommandResponse_StderrLine:
			run.stderr = append(run.stderr, e.StderrLine)
		case *pluginv1.RunCommandResponse_ResultChunk:
			run.result = append(run.result, e.ResultChunk.GetData()...)
		case *pluginv1.RunCommandResponse_Status:
			run.status = e.Status
		}
	}
	if run.status == nil {
		t.Fatal("the run ended without a status")
	}
	return run
}

func TestRunCommand(t *testing.T) {
	p := start(t, conformanceBin)
	for _, c := range []struct{ context, want string }{{"", "pong"}, {`{"message":"hi"}`, "hi"}} {
		run := p.runCommand(t, &pluginv1.RunCommandRequest{CallId: "cmd-1", Command: "ping", ContextJson: c.context, JobId: "job-1"})
		if run.status.GetState() != pluginv1.CommandState_COMMAND_STATE_SUCCEEDED || run.status.GetExitCode() != 0 || run.status.GetError() != nil {
			t.Fatalf("status %v", run.status)
		}
		if !slices.Equal(run.stdout, []string{"ping"}) || !slices.Equal(run.stderr, []string{"ping-err"}) {
			t.Errorf("stdout %v stderr %v", run.stdout, run.stderr)
		}
		result, err := heddle.DecodeIPC(run.result)
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, result, []map[string]any{{"message": c.want}})
	}

	run := p.runCommand(t, &pluginv1.RunCommandRequest{Command: "nope"})
	if run.status.GetState() != pluginv1.CommandState_COMMAND_STATE_FAILED || run.status.GetError().GetCode() != heddle.CodeUnknownCommand.Proto() {
		t.Errorf("unknown command: %v", run.status)
	}
	run = p.runCommand(t, &pluginv1.RunCommandRequest{Command: "ping", ContextJson: `{"message":3}`})
	if run.status.GetError().GetCode() != heddle.CodeInvalidConfig.Proto() || run.status.GetError().GetField() != "/message" {
		t.Errorf("bad context: %v", run.status)
	}
	if len(run.stdout) != 0 {
		t.Errorf("a rejected run wrote %v", run.stdout)
	}
}
