package heddle

import (
	"fmt"
	"io"
	"os"
	"reflect"

	"github.com/apache/arrow-go/v18/arrow"
	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

// componentKind says what a registration is for; options apply to some kinds only.
type componentKind uint8

const (
	kindStep componentKind = 1 << iota
	kindHandler
	kindResource
	kindCommand
)

func (k componentKind) String() string {
	switch k {
	case kindStep:
		return "step"
	case kindHandler:
		return "handler"
	case kindResource:
		return "resource"
	}
	return "command"
}

// Option configures a step, handler, resource or command when it is
// registered. Registering with an option that does not apply to that kind of
// component panics, naming the option.
type Option struct {
	name  string
	kinds componentKind
	apply func(*componentOptions)
}

// componentOptions collects what the options of one registration set.
type componentOptions struct {
	description   string
	requirements  []requirement
	noInput       bool
	inputSchema   *arrow.Schema
	outputSchema  *arrow.Schema
	mode          ExecutionMode
	clusterTypes  []string
	clusterSchema string
}

// requirement is one resource binding a step, handler or command needs.
type requirement struct {
	binding  string
	kind     string
	optional bool
}

func collectOptions(kind componentKind, name string, opts []Option) componentOptions {
	o := componentOptions{mode: ModeBoth}
	for _, opt := range opts {
		if opt.kinds&kind == 0 {
			panic(fmt.Sprintf("heddle: option %s does not apply to %s %q", opt.name, kind, name))
		}
		opt.apply(&o)
	}
	return o
}

// Description sets the text the manifest shows for the component.
func Description(text string) Option {
	return Option{"Description", kindStep | kindHandler | kindResource | kindCommand,
		func(o *componentOptions) { o.description = text }}
}

// UseResource declares that the component needs an open instance of the
// resource kind, bound under the same name. The first binding declared is
// the one injected into a config that embeds StepConfig.
func UseResource(kind string) Option { return BindResource(kind, kind) }

// BindResource declares that the component needs an instance of kind, bound
// at call time under binding (the <binding=instance> of a Heddle step).
func BindResource(binding, kind string) Option {
	return Option{"BindResource", kindStep | kindHandler | kindCommand, func(o *componentOptions) {
		o.requirements = append(o.requirements, requirement{binding: binding, kind: kind})
	}}
}

// OptionalResource is BindResource for a binding the call may leave out.
func OptionalResource(binding, kind string) Option {
	return Option{"OptionalResource", kindStep | kindHandler | kindCommand, func(o *componentOptions) {
		o.requirements = append(o.requirements, requirement{binding: binding, kind: kind, optional: true})
	}}
}

// NoInput marks a step as a source: it takes no input table and the SDK
// passes it nil.
func NoInput() Option {
	return Option{"NoInput", kindStep, func(o *componentOptions) { o.noInput = true }}
}

// InputSchema declares the Arrow schema the step expects, shown in the manifest.
func InputSchema(s *arrow.Schema) Option {
	return Option{"InputSchema", kindStep, func(o *componentOptions) { o.inputSchema = s }}
}

// OutputSchema declares the Arrow schema the step returns, shown in the manifest.
func OutputSchema(s *arrow.Schema) Option {
	return Option{"OutputSchema", kindStep, func(o *componentOptions) { o.outputSchema = s }}
}

// ExecutionMode says how Heimdall may run a command.
type ExecutionMode int32

// Execution modes of a command (ModeBoth unless set with Mode).
const (
	ModeSync  = ExecutionMode(pluginv1.ExecutionMode_EXECUTION_MODE_SYNC)
	ModeAsync = ExecutionMode(pluginv1.ExecutionMode_EXECUTION_MODE_ASYNC)
	ModeBoth  = ExecutionMode(pluginv1.ExecutionMode_EXECUTION_MODE_BOTH)
)

// Mode sets a command's execution mode.
func Mode(m ExecutionMode) Option {
	return Option{"Mode", kindCommand, func(o *componentOptions) { o.mode = m }}
}

// ClusterTypes lists the cluster types a command can run on.
func ClusterTypes(types ...string) Option {
	return Option{"ClusterTypes", kindCommand, func(o *componentOptions) { o.clusterTypes = append(o.clusterTypes, types...) }}
}

// ClusterContext declares the JSON Schema of the cluster context a command
// expects, generated from T like config schemas. It panics when T cannot be
// a JSON object.
func ClusterContext[T any]() Option {
	schema := newConfigCodec(reflect.TypeOf((*T)(nil)).Elem()).schemaJSON
	return Option{"ClusterContext", kindCommand, func(o *componentOptions) { o.clusterSchema = schema }}
}

// RunOptions are the process surroundings Plugin.Run serves in. The zero
// value means the real process: its environment, stdin, stdout, stderr and
// signals (what Serve uses).
type RunOptions struct {
	// Getenv reads a variable; nil means os.Getenv.
	Getenv func(string) string
	// Stdin is watched for end-of-file (the host is gone); nil means os.Stdin.
	Stdin io.Reader
	// Stdout receives the handshake line; nil means os.Stdout.
	Stdout io.Writer
	// Stderr receives start-up failures; nil means os.Stderr.
	Stderr io.Writer
	// NoSignals leaves SIGTERM/SIGINT alone (for serving inside tests).
	NoSignals bool
}

func (r RunOptions) withDefaults() RunOptions {
	if r.Getenv == nil {
		r.Getenv = os.Getenv
	}
	if r.Stdin == nil {
		r.Stdin = os.Stdin
	}
	if r.Stdout == nil {
		r.Stdout = os.Stdout
	}
	if r.Stderr == nil {
		r.Stderr = os.Stderr
	}
	return r
}
