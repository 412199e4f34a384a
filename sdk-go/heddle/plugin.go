// Package heddle is the Go SDK for Heddle Host plugins: register resources,
// steps, error handlers and Heimdall commands on a Plugin, then call Serve.
// Serve implements the process side of the plugin protocol
// (docs/protocol.md): the host starts the program, the SDK answers over gRPC
// on a Unix socket, and tables move as Apache Arrow.
//
//	p := heddle.NewPlugin(heddle.Info{Namespace: "security", Version: "0.1.0"})
//	heddle.Resource(p, "vault", openVault)
//	heddle.Step(p, "hash", hashPassword, heddle.UseResource("vault"))
//	p.Serve()
package heddle

import (
	"fmt"
	"reflect"
	"regexp"
	"sync/atomic"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

// SDK identity reported in the Handshake.
const (
	SDKName     = "heddle-sdk-go"
	SDKLanguage = "go"
	SDKVersion  = "0.1.0"
)

// Info names a plugin: steps are addressed as Namespace.step.
type Info struct {
	Namespace   string
	Version     string
	Description string
}

// Plugin holds the components a plugin process provides. Register every
// component before Serve; registration is not safe for concurrent use.
type Plugin struct {
	info      Info
	steps     map[string]*stepEntry // steps and handlers share one name space
	stepList  []*stepEntry
	resources map[string]*resourceEntry
	resList   []*resourceEntry
	commands  map[string]*commandEntry
	cmdList   []*commandEntry
	serving   atomic.Bool
}

var namePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// NewPlugin returns an empty plugin. It panics when the namespace is not a
// name (letters, digits, _ and -, not starting with a digit or -).
func NewPlugin(info Info) *Plugin {
	if !namePattern.MatchString(info.Namespace) {
		panic(fmt.Sprintf("heddle: namespace %q is not a valid name (letters, digits, _ and -; not starting with a digit or -)", info.Namespace))
	}
	if info.Version == "" {
		info.Version = "0.0.0"
	}
	return &Plugin{
		info:      info,
		steps:     map[string]*stepEntry{},
		resources: map[string]*resourceEntry{},
		commands:  map[string]*commandEntry{},
	}
}

// Info returns what the plugin was created with.
func (p *Plugin) Info() Info { return p.info }

// checkName panics on names that cannot be registered: invalid, taken, or
// registered after Serve started.
func (p *Plugin) checkName(kind componentKind, name string, taken bool) {
	if p.serving.Load() {
		panic(fmt.Sprintf("heddle: %s %q registered after Serve: register every component first", kind, name))
	}
	if !namePattern.MatchString(name) {
		panic(fmt.Sprintf("heddle: %s name %q is not a valid name (letters, digits, _ and -)", kind, name))
	}
	if taken {
		panic(fmt.Sprintf("heddle: %s %q is registered twice", kind, name))
	}
}

// Manifest returns what Describe answers: the plugin's namespace, version
// and components in registration order. It never fails.
func (p *Plugin) Manifest() *pluginv1.Manifest {
	m := &pluginv1.Manifest{Namespace: p.info.Namespace, Version: p.info.Version, Description: p.info.Description}
	for _, r := range p.resList {
		m.Resources = append(m.Resources, &pluginv1.ResourceSpec{
			Name: r.name, Description: r.opts.description, ConfigSchemaJson: r.config.schemaJSON})
	}
	for _, s := range p.stepList {
		if s.kind == kindHandler {
			m.Handlers = append(m.Handlers, &pluginv1.HandlerSpec{Name: s.name, Description: s.opts.description,
				ConfigSchemaJson: s.config.schemaJSON, Resources: requirementsProto(s.opts.requirements)})
			continue
		}
		m.Steps = append(m.Steps, &pluginv1.StepSpec{
			Name: s.name, Description: s.opts.description, ConfigSchemaJson: s.config.schemaJSON,
			Resources:   requirementsProto(s.opts.requirements),
			InputSchema: EncodeSchema(s.opts.inputSchema), OutputSchema: EncodeSchema(s.opts.outputSchema),
			TakesInput: !s.opts.noInput,
		})
	}
	for _, c := range p.cmdList {
		m.Commands = append(m.Commands, &pluginv1.CommandSpec{
			Name: c.name, Description: c.opts.description, ContextSchemaJson: c.config.schemaJSON,
			Mode: pluginv1.ExecutionMode(c.opts.mode), ClusterTypes: c.opts.clusterTypes,
			ClusterContextSchemaJson: c.opts.clusterSchema,
		})
	}
	return m
}

func requirementsProto(reqs []requirement) []*pluginv1.ResourceRequirement {
	out := make([]*pluginv1.ResourceRequirement, len(reqs))
	for i, r := range reqs {
		out[i] = &pluginv1.ResourceRequirement{Binding: r.binding, Kind: r.kind, Optional: r.optional}
	}
	return out
}

// checkRequirements panics when a component names a resource kind the plugin
// does not register; run when serving starts, since order of registration is free.
func (p *Plugin) checkRequirements() {
	check := func(kind componentKind, name string, reqs []requirement) {
		for _, r := range reqs {
			if _, ok := p.resources[r.kind]; !ok {
				panic(fmt.Sprintf("heddle: %s %q binds %q to resource kind %q, which the plugin does not register", kind, name, r.binding, r.kind))
			}
		}
	}
	for _, s := range p.stepList {
		check(s.kind, s.name, s.opts.requirements)
	}
	for _, c := range p.cmdList {
		check(kindCommand, c.name, c.opts.requirements)
	}
}

func typeOf[T any]() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }
