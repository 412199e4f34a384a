package main

import (
	"context"
	"errors"
	"sync"
)

// CounterConfig configures a counter: {start?: integer = 0}.
type CounterConfig struct {
	Start int64 `json:"start" heddle:"default=0" description:"the total to start from"`
}

// Counter is a running total shared by the calls bound to one instance.
type Counter struct {
	mu    sync.Mutex
	total int64
}

// Add adds n and returns the new total.
func (c *Counter) Add(n int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total += n
	return c.total
}

func openCounter(_ context.Context, cfg CounterConfig) (*Counter, error) {
	return &Counter{total: cfg.Start}, nil
}

// Empty is a config that accepts {} only.
type Empty struct{}

func openFailing(context.Context, Empty) (*Counter, error) {
	return nil, errors.New("resource init failed on purpose")
}
