// Command conformance is the Go SDK's conformance plugin: exactly the
// `conformance` namespace of test/conformance/README.md.
package main

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/heddle-host/heddle/sdk-go/heddle"
)

func main() {
	p := heddle.NewPlugin(heddle.Info{Namespace: "conformance", Version: "1.0.0",
		Description: "Language-neutral conformance cases, Go SDK"})

	heddle.Resource(p, "counter", openCounter, heddle.Description("holds a running total starting at start"))
	heddle.Resource(p, "failing", openFailing, heddle.Description("its constructor always fails"))

	heddle.Step(p, "echo", echo, heddle.Description("returns the input table unchanged"))
	heddle.Step(p, "add_column", addColumn, heddle.Description("adds a utf8 column holding one value on every row"))
	heddle.Step(p, "scale", scale, heddle.Description("replaces a numeric column by column * factor as float64"))
	heddle.Step(p, "count", count, heddle.UseResource("counter"),
		heddle.Description("adds the input's row count to the counter and outputs the new total"),
		heddle.OutputSchema(schemaOf(arrow.Field{Name: "total", Type: arrow.PrimitiveTypes.Int64})))
	heddle.Step(p, "generate", generate, heddle.NoInput(), heddle.Description("outputs rows 0..rows-1"),
		heddle.OutputSchema(generateSchema))
	heddle.Step(p, "fail", fail, heddle.Description("fails with a plain error"))
	heddle.Step(p, "fail_typed", failTyped, heddle.Description("fails with a typed INVALID_INPUT error"))
	heddle.Step(p, "sleep", sleep, heddle.Description("waits up to ms, stopping early when cancelled"),
		heddle.OutputSchema(schemaOf(arrow.Field{Name: "slept_ms", Type: arrow.PrimitiveTypes.Int64})))
	heddle.Step(p, "bad_output", badOutput, heddle.Description("returns something that is not a table"))
	heddle.Step(p, "log", logMessage, heddle.Description("logs message at info with field step=log; returns the input"))
	heddle.Step(p, "strict", strict, heddle.NoInput(), heddle.Description("echoes a strictly validated config as one row"),
		heddle.OutputSchema(strictSchema))

	heddle.Handler(p, "record_errors", recordErrors, heddle.Description("returns the errors table unchanged"))

	heddle.Command(p, "ping", ping, heddle.Description("writes ping / ping-err and returns one row {message}"))

	p.Serve()
}

func schemaOf(fields ...arrow.Field) *arrow.Schema { return arrow.NewSchema(fields, nil) }
