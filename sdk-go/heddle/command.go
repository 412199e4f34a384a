package heddle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
)

// CommandFunc is a Heimdall command: it gets the job's context decoded into C
// (validated against C's schema) and returns its result table, or nil for
// none. An *Error chooses the failure code; any other error or a panic is
// reported as COMMAND_FAILED.
type CommandFunc[C any] func(ctx *CommandContext, context C) (*Table, error)

// Command registers a Heimdall command. It panics when name is invalid or
// taken, C cannot be a JSON object, or an option does not apply to commands.
func Command[C any](p *Plugin, name string, fn CommandFunc[C], opts ...Option) {
	p.checkName(kindCommand, name, p.commands[name] != nil)
	if fn == nil {
		panic(fmt.Sprintf("heddle: command %q registered with a nil function", name))
	}
	e := &commandEntry{name: name, opts: collectOptions(kindCommand, name, opts),
		config: newConfigCodec(typeOf[C]()),
		origin: funcOrigin("command", name, reflect.ValueOf(fn).Pointer())}
	e.call = func(ctx *CommandContext, config any) (*Table, error) { return fn(ctx, config.(C)) }
	p.commands[name] = e
	p.cmdList = append(p.cmdList, e)
}

type commandEntry struct {
	name   string
	opts   componentOptions
	config *configCodec
	origin string
	call   func(ctx *CommandContext, config any) (*Table, error)
}

// CommandContext is what command code receives. Like StepContext it is a
// context.Context cancelled when the host cancels the job or its deadline
// passes.
type CommandContext struct {
	context.Context
	// CallID is the host's id of this run (the one Cancel names).
	CallID string
	// JobID is the Heimdall job being run.
	JobID string
	// Command is the command's name.
	Command string
	// Cluster is the selected cluster (name, tags, context) as JSON; {} when none.
	Cluster json.RawMessage
	// Logger writes protocol JSON log lines to stderr.
	Logger    *slog.Logger
	resources map[string]any
	lines     *lineSender
}

// Stdout sends text to the job's stdout, one event per line. It fails when
// the run has already ended (cancelled, or the host went away).
func (c *CommandContext) Stdout(text string) error { return c.lines.send(text, false) }

// Stderr sends text to the job's stderr, one event per line. It fails when
// the run has already ended.
func (c *CommandContext) Stderr(text string) error { return c.lines.send(text, true) }

// Resource returns the open instance bound under binding, if the run gave one.
func (c *CommandContext) Resource(binding string) (any, bool) {
	v, ok := c.resources[binding]
	return v, ok
}

// DecodeCluster decodes the cluster JSON into v. It fails when v does not
// match the JSON.
func (c *CommandContext) DecodeCluster(v any) error { return json.Unmarshal(c.Cluster, v) }

// Cancelled reports whether the run was cancelled or ran past its deadline.
func (c *CommandContext) Cancelled() bool { return c.Err() != nil }

var errRunEnded = errors.New("heddle: the command run has ended; no more output can be sent")

// lineSender forwards a command's output lines to the RPC stream, one at a
// time, until the run ends.
type lineSender struct {
	mu     sync.Mutex
	ended  bool
	stdout func(string) error
	stderr func(string) error
}

func (l *lineSender) send(text string, toStderr bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		return errRunEnded
	}
	emit := l.stdout
	if toStderr {
		emit = l.stderr
	}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if err := emit(line); err != nil {
			return err
		}
	}
	return nil
}

// end stops further lines; after it returns no send is in progress.
func (l *lineSender) end() {
	l.mu.Lock()
	l.ended = true
	l.mu.Unlock()
}
