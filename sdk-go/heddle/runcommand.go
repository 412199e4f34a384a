package heddle

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

// Exit codes reported in a command's final status.
const (
	exitSucceeded = 0
	exitFailed    = 1
	exitCancelled = 130 // the shell's code for a run stopped by SIGINT
)

// RunCommand runs a Heimdall command (protocol §6): its output lines and
// result chunks stream as they come, then exactly one status. Failures are
// statuses too (UNKNOWN_COMMAND, INVALID_CONFIG, MISSING_RESOURCE,
// RESOURCE_NOT_OPEN, COMMAND_FAILED, CANCELLED, DEADLINE_EXCEEDED).
func (s *server) RunCommand(req *pluginv1.RunCommandRequest, stream pluginv1.PluginService_RunCommandServer) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	var sendMu sync.Mutex // output lines come from the command's goroutine
	send := func(r *pluginv1.RunCommandResponse) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		return stream.Send(r)
	}
	finish := func(state pluginv1.CommandState, failure *Error, exit int32) error {
		st := &pluginv1.CommandStatus{State: state, ExitCode: exit}
		if failure != nil {
			st.Error = failure.toProto()
		}
		return send(&pluginv1.RunCommandResponse{Event: &pluginv1.RunCommandResponse_Status{Status: st}})
	}
	fail := func(failure *Error) error {
		return finish(pluginv1.CommandState_COMMAND_STATE_FAILED, failure, exitFailed)
	}

	e := s.plugin.commands[req.GetCommand()]
	if e == nil {
		return fail(&Error{Code: CodeUnknownCommand, Component: req.GetCommand(), Message: fmt.Sprintf(
			"plugin %q has no command %q; it has: %s", s.plugin.info.Namespace, req.GetCommand(), namesOf(s.plugin.commands))})
	}
	config, failure := e.config.decode(req.GetContextJson())
	if failure != nil {
		failure.Component = e.name
		failure.Message = strings.Replace(failure.Message, "config", "command context", 1)
		return fail(failure)
	}
	resources, failure := bindResources(e.name, e.opts.requirements, req.GetResources(), s.instances)
	if failure != nil {
		return fail(failure)
	}
	cluster := json.RawMessage(req.GetClusterJson())
	if len(cluster) == 0 {
		cluster = json.RawMessage("{}")
	}

	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	defer s.calls.add(req.GetCallId(), cancel)()
	lines := &lineSender{
		stdout: func(l string) error {
			return send(&pluginv1.RunCommandResponse{Event: &pluginv1.RunCommandResponse_StdoutLine{StdoutLine: l}})
		},
		stderr: func(l string) error {
			return send(&pluginv1.RunCommandResponse{Event: &pluginv1.RunCommandResponse_StderrLine{StderrLine: l}})
		},
	}
	cctx := &CommandContext{Context: ctx, CallID: req.GetCallId(), JobID: req.GetJobId(), Command: e.name,
		Cluster: cluster, Logger: s.log, resources: resources, lines: lines}

	if s.log.Enabled(ctx, LevelTrace) {
		s.log.Log(ctx, LevelTrace, "call started", "call_id", req.GetCallId(), "command", e.name)
	}
	done := make(chan stepResult, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- stepResult{failure: panicError(r, CodeCommandFailed, e.name, debug.Stack())}
			}
		}()
		out, err := e.call(cctx, config)
		if err != nil {
			done <- stepResult{failure: classify(err, CodeCommandFailed, e.name, e.origin)}
			return
		}
		done <- stepResult{out: out}
	}()
	var r stepResult
	select {
	case r = <-done:
	case <-ctx.Done():
	}
	lines.end()
	if ctx.Err() != nil {
		ended := endedError(ctx, e.name)
		if ended.Code == CodeDeadlineExceeded {
			return fail(ended)
		}
		return finish(pluginv1.CommandState_COMMAND_STATE_CANCELED, ended, exitCancelled)
	}
	if r.failure != nil {
		return fail(r.failure)
	}
	if r.out != nil {
		if why := r.out.validOutput(); why != "" {
			return fail(&Error{Code: CodeInvalidOutput, Component: e.name, Message: fmt.Sprintf("%s returned %s", e.name, why)})
		}
		var sendErr error
		_, err := writeIPC(r.out, func(p []byte) error {
			sendErr = send(&pluginv1.RunCommandResponse{Event: &pluginv1.RunCommandResponse_ResultChunk{ResultChunk: &pluginv1.TableChunk{Data: p}}})
			return sendErr
		}, MaxChunkBytes)
		if sendErr != nil {
			return sendErr
		}
		if err != nil {
			return fail(&Error{Code: CodeInvalidOutput, Component: e.name,
				Message: fmt.Sprintf("%s returned a result table that cannot be written as Arrow IPC: %v", e.name, err)})
		}
	}
	return finish(pluginv1.CommandState_COMMAND_STATE_SUCCEEDED, nil, exitSucceeded)
}
