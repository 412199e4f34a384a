package e2e

import (
	"testing"
	"time"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"github.com/heddle-host/heddle/sdk-go/heddle"
)

// largeRows int64 values are 100 MiB of column data.
const largeRows = 100 << 20 / 8

// TestShmLargeTable moves a 100 MiB table into the plugin by handle, gets it
// back as the same segment from echo and as a new one from add_column,
// checks every value, and logs how long a call with that input takes
// by handle and streamed (no assertion on times: they are for the report).
func TestShmLargeTable(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 100 MiB tables")
	}
	dir := shmDir(t)
	p, _ := startShm(t, dir)
	tbl := idTable(largeRows, 1<<20)
	in := writeSegmentFile(t, dir, "host-large", tbl, 0)
	t.Logf("input segment: %d bytes, %d rows", in.GetLength(), in.GetNumRows())

	t.Run("echo passes the input segment through", func(t *testing.T) {
		start := time.Now()
		checkPassThrough(t, dir, in, func() *pluginv1.InvokeResponse { return p.invoke(t, call{step: "echo", shmInput: in, shmOutput: 1}) })
		t.Logf("echo of the %d MiB segment by handle: %v", in.GetLength()>>20, time.Since(start))
	})
	t.Run("a changed table out by handle", func(t *testing.T) {
		resp := p.invoke(t, call{step: "add_column", config: map[string]any{"name": "tag", "value": ""}, shmInput: in, shmOutput: 1})
		ref := checkNewSegment(t, dir, in, resp, func(tbl *heddle.Table) { checkIDs(t, tbl, largeRows) })
		t.Logf("output segment: %d bytes", ref.GetLength())
	})

	counter := p.open(t, "counter", nil)
	countCall := call{step: "count", resources: map[string]string{"counter": counter}}
	byHandle := countCall
	byHandle.shmInput = in
	streamedIn := countCall
	streamedIn.input = tbl
	const runs = 3
	var shmBest, streamBest time.Duration
	for i := 0; i < runs; i++ {
		start := time.Now()
		if r := p.invoke(t, byHandle); r.GetError() != nil {
			t.Fatal(r.GetError())
		}
		shmBest = best(shmBest, time.Since(start))
		start = time.Now()
		if s := p.invokeStream(t, streamedIn, 2<<20); s.result.GetError() != nil {
			t.Fatal(s.result.GetError())
		}
		streamBest = best(streamBest, time.Since(start))
	}
	total := p.invokeOK(t, call{step: "count", resources: map[string]string{"counter": counter}})
	if got := total.Column(0)[0].(interface{ Value(int) int64 }).Value(0); got != 2*runs*largeRows {
		t.Errorf("the counter saw %d rows, want %d", got, 2*runs*largeRows)
	}
	t.Logf("call with a %d MiB input, best of %d: by handle %v, streamed (2 MiB chunks) %v (%.0fx)",
		in.GetLength()>>20, runs, shmBest, streamBest, float64(streamBest)/float64(shmBest))
}

func best(a, b time.Duration) time.Duration {
	if a == 0 || b < a {
		return b
	}
	return a
}
