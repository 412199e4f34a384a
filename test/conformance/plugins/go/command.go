package main

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/heddle-host/heddle/sdk-go/heddle"
)

// PingContext is {message?: string = "pong"}.
type PingContext struct {
	Message string `json:"message" heddle:"default=pong"`
}

func ping(ctx *heddle.CommandContext, c PingContext) (*heddle.Table, error) {
	if err := ctx.Stdout("ping"); err != nil {
		return nil, err
	}
	if err := ctx.Stderr("ping-err"); err != nil {
		return nil, err
	}
	return heddle.TableFromRows(schemaOf(arrow.Field{Name: "message", Type: arrow.BinaryTypes.String}),
		[]map[string]any{{"message": c.Message}})
}
