package heddle

import (
	"fmt"
	"reflect"
)

// StepFunc is step code: it gets the call's context, its config decoded into
// C (already validated against C's schema) and the input table (nil when the
// call gave none, and always for a step registered with NoInput). It returns the output table, nil for a sink,
// or an error: an *Error chooses the code, anything else (or a panic) is
// reported as STEP_FAILED.
type StepFunc[C any] func(ctx *StepContext, config C, input *Table) (*Table, error)

// Step registers a step. Its config schema is generated from C's struct tags
// (see the package README). It panics when name is invalid or taken, C
// cannot be a JSON config, an option does not apply to steps, or C embeds
// StepConfig while the step binds no resource.
func Step[C any](p *Plugin, name string, fn StepFunc[C], opts ...Option) {
	p.checkName(kindStep, name, p.steps[name] != nil)
	p.addStep(newStepEntry(kindStep, name, fn, opts))
}

// MissingInput is the INVALID_INPUT error for step code that needs an input
// table when the call gave none: return it when input is nil.
func MissingInput(ctx *StepContext) *Error {
	return &Error{Code: CodeInvalidInput, Component: ctx.Name,
		Message: fmt.Sprintf("%s needs an input table and the call gave none: pass one", ctx.Name)}
}

// StepConfig is embedded in a step's config type to receive the instance of
// the step's first declared resource (UseResource/BindResource), as in
//
//	type HashConfig struct {
//		heddle.StepConfig[*Vault]
//		Algorithm string `json:"algorithm" heddle:"required"`
//	}
//
// It adds nothing to the config's JSON or schema.
type StepConfig[R any] struct{ resource R }

// Resource returns the injected resource instance (the zero R when an
// optional binding was not given).
func (c StepConfig[R]) Resource() R { return c.resource }

func (c *StepConfig[R]) setResource(v any) error {
	if v == nil {
		return nil
	}
	r, ok := v.(R)
	if !ok {
		return fmt.Errorf("the config expects a resource of type %T but the bound instance is a %T", c.resource, v)
	}
	c.resource = r
	return nil
}

// resourceInjector is implemented by configs that embed StepConfig.
type resourceInjector interface{ setResource(any) error }

var injectorType = reflect.TypeOf((*resourceInjector)(nil)).Elem()

// stepEntry is a registered step or handler with its call adapter.
type stepEntry struct {
	kind   componentKind
	name   string
	opts   componentOptions
	config *configCodec
	origin string // where the plugin's function is defined, for error stacks
	call   func(ctx *StepContext, config any, input *Table) (*Table, error)
	pace   pace // recent run times: quick steps run in place (pace.go)
}

func newStepEntry[C any](kind componentKind, name string, fn StepFunc[C], opts []Option) *stepEntry {
	if fn == nil {
		panic(fmt.Sprintf("heddle: %s %q registered with a nil function", kind, name))
	}
	o := collectOptions(kind, name, opts)
	t := typeOf[C]()
	injects := reflect.PointerTo(t).Implements(injectorType)
	if injects && len(o.requirements) == 0 {
		panic(fmt.Sprintf("heddle: %s %q: its config %v embeds StepConfig but it binds no resource; add heddle.UseResource(kind)", kind, name, t))
	}
	e := &stepEntry{kind: kind, name: name, opts: o, config: newConfigCodec(t),
		origin: funcOrigin(kind.String(), name, reflect.ValueOf(fn).Pointer())}
	e.call = func(ctx *StepContext, config any, input *Table) (*Table, error) {
		c := config.(C)
		if injects {
			if err := any(&c).(resourceInjector).setResource(ctx.resources[o.requirements[0].binding]); err != nil {
				return nil, NewError(CodeStepFailed, err.Error())
			}
		}
		return fn(ctx, c, input)
	}
	return e
}

func (p *Plugin) addStep(e *stepEntry) {
	p.steps[e.name] = e
	p.stepList = append(p.stepList, e)
}
