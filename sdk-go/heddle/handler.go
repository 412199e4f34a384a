package heddle

import "github.com/apache/arrow-go/v18/arrow"

// ErrorsSchema is the schema of the table an error handler receives: one row
// per error with the string columns code, message, component and stack.
var ErrorsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "code", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "message", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "component", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "stack", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// Handler registers an error handler: called like a step (Invoke with its
// name), its input is a table of errors (ErrorsSchema). fn follows the rules
// of StepFunc. It panics when name is invalid or already used by a step or
// handler, C cannot be a JSON config, or an option does not apply to handlers.
func Handler[C any](p *Plugin, name string, fn StepFunc[C], opts ...Option) {
	p.checkName(kindHandler, name, p.steps[name] != nil)
	p.addStep(newStepEntry(kindHandler, name, fn, opts))
}
