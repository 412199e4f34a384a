package heddle

import (
	"context"
	"fmt"
	"reflect"
	"runtime/debug"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
)

// ResourceFunc is a resource constructor: it gets the instance's config
// decoded into C (validated against C's schema) and returns the instance
// that steps bound to it receive. An error or panic is reported as
// RESOURCE_INIT_FAILED. If the instance has a Close() or Close() error
// method, it runs when the host closes the instance or the plugin shuts down.
type ResourceFunc[C, R any] func(ctx context.Context, config C) (R, error)

// Resource registers a resource kind. It panics when name is invalid or
// taken, C cannot be a JSON config, or an option does not apply to resources.
func Resource[C, R any](p *Plugin, name string, fn ResourceFunc[C, R], opts ...Option) {
	p.checkName(kindResource, name, p.resources[name] != nil)
	if fn == nil {
		panic(fmt.Sprintf("heddle: resource %q registered with a nil function", name))
	}
	e := &resourceEntry{name: name, opts: collectOptions(kindResource, name, opts),
		config: newConfigCodec(typeOf[C]()),
		origin: funcOrigin("resource", name, reflect.ValueOf(fn).Pointer())}
	e.open = func(ctx context.Context, config any) (any, error) { return fn(ctx, config.(C)) }
	p.resources[name] = e
	p.resList = append(p.resList, e)
}

type resourceEntry struct {
	name   string
	opts   componentOptions
	config *configCodec
	origin string
	open   func(ctx context.Context, config any) (any, error)
}

// construct runs the plugin's constructor, turning an error or panic into
// RESOURCE_INIT_FAILED (or the code of a typed *Error).
func (e *resourceEntry) construct(ctx context.Context, config any) (value any, failure *Error) {
	defer func() {
		if r := recover(); r != nil {
			value, failure = nil, panicError(r, CodeResourceInitFailed, e.name, debug.Stack())
		}
	}()
	v, err := e.open(ctx, config)
	if err != nil {
		return nil, classify(err, CodeResourceInitFailed, e.name, e.origin)
	}
	return v, nil
}

// instance is one open resource.
type instance struct {
	id    string
	kind  string
	value any
}

// instanceTable holds the open resource instances of the process.
type instanceTable struct {
	mu   sync.RWMutex
	byID map[string]*instance
	next atomic.Uint64
}

func newInstanceTable() *instanceTable { return &instanceTable{byID: map[string]*instance{}} }

// add stores value and returns its new id, "<kind>-<n>", unique in the process.
func (t *instanceTable) add(kind string, value any) string {
	id := kind + "-" + strconv.FormatUint(t.next.Add(1), 10)
	t.mu.Lock()
	t.byID[id] = &instance{id: id, kind: kind, value: value}
	t.mu.Unlock()
	return id
}

func (t *instanceTable) get(id string) *instance {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.byID[id]
}

// remove forgets id and returns the instance, or nil when it was not open.
func (t *instanceTable) remove(id string) *instance {
	t.mu.Lock()
	defer t.mu.Unlock()
	inst := t.byID[id]
	delete(t.byID, id)
	return inst
}

// removeAll forgets every instance and returns them in opening order.
func (t *instanceTable) removeAll() []*instance {
	t.mu.Lock()
	all := make([]*instance, 0, len(t.byID))
	for _, inst := range t.byID {
		all = append(all, inst)
	}
	t.byID = map[string]*instance{}
	t.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return instanceSeq(all[i].id) < instanceSeq(all[j].id) })
	return all
}

func instanceSeq(id string) uint64 {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '-' {
			n, _ := strconv.ParseUint(id[i+1:], 10, 64)
			return n
		}
	}
	return 0
}

// closeValue runs the instance's close hook, if it has one, turning a panic
// into an error.
func closeValue(v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("close panicked: %v", r)
		}
	}()
	switch c := v.(type) {
	case interface{ Close() error }:
		return c.Close()
	case interface{ Close() }:
		c.Close()
	}
	return nil
}

// bindResources resolves a call's bindings against what the component
// requires: MISSING_RESOURCE for a required binding not given,
// RESOURCE_NOT_OPEN for an id that is not open or of the wrong kind.
func bindResources(component string, reqs []requirement, given map[string]string, open *instanceTable) (map[string]any, *Error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	bound := make(map[string]any, len(reqs))
	for _, r := range reqs {
		id, ok := given[r.binding]
		if !ok || id == "" {
			if r.optional {
				continue
			}
			return nil, &Error{Code: CodeMissingResource, Component: component,
				Message: fmt.Sprintf("%s needs a %q resource bound as %q, and the call gave none: open one and pass its instance id under %q", component, r.kind, r.binding, r.binding)}
		}
		inst := open.get(id)
		if inst == nil {
			return nil, &Error{Code: CodeResourceNotOpen, Component: component,
				Message: fmt.Sprintf("resource instance %q (bound as %q) is not open in this plugin: open it with OpenResource first", id, r.binding)}
		}
		if inst.kind != r.kind {
			return nil, &Error{Code: CodeResourceNotOpen, Component: component,
				Message: fmt.Sprintf("resource instance %q (bound as %q) is a %q, but %s needs a %q", id, r.binding, inst.kind, component, r.kind)}
		}
		bound[r.binding] = inst.value
	}
	return bound, nil
}
