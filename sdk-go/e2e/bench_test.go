package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Round trips of a small call (a 3-row table in and out) from a Go client over
// the Unix socket. Run with:
//
//	go test ./e2e -run '^$' -bench InvokeSmall -benchtime 20000x
//
// p50-µs/p99-µs are per-call latencies of sequential calls; calls/s is the
// throughput (of concurrent callers for the Parallel benchmark).
func BenchmarkInvokeSmall(b *testing.B) {
	b.Run("echo", func(b *testing.B) { benchSequential(b, smallCall(b, "echo", nil)) })
	// add_column builds a new column and encodes a new table: real work.
	b.Run("add_column", func(b *testing.B) {
		benchSequential(b, smallCall(b, "add_column", map[string]any{"name": "tag", "value": "x"}))
	})
}

func benchSequential(b *testing.B, req *pluginv1.InvokeRequest) {
	p := start(b, conformanceBin)
	bg := context.Background()
	for i := 0; i < 200; i++ { // warm up the connection and both runtimes
		mustCall(b, p, bg, req)
	}
	lat := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime(b, p.cmd.Process.Pid)
	b.ResetTimer()
	begin := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		mustCall(b, p, bg, req)
		lat = append(lat, time.Since(t0))
	}
	elapsed := time.Since(begin)
	b.StopTimer()
	// CPU the plugin process spent per call: steadier than latency on a busy machine.
	b.ReportMetric(float64((cpuTime(b, p.cmd.Process.Pid)-cpu0).Microseconds())/float64(b.N), "plugin-cpu-µs/call")
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
}

func BenchmarkInvokeSmallParallel(b *testing.B) {
	p := start(b, conformanceBin)
	req := smallCall(b, "echo", nil)
	bg := context.Background()
	b.SetParallelism(4) // 4 callers per core
	b.ResetTimer()
	begin := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mustCall(b, p, bg, req)
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(begin).Seconds(), "calls/s")
}

func smallCall(b *testing.B, step string, config any) *pluginv1.InvokeRequest {
	in := table(b, schema(field("id", int64T), field("name", utf8T)),
		map[string]any{"id": 1, "name": "a"}, map[string]any{"id": 2, "name": "b"}, map[string]any{"id": 3, "name": "c"})
	return &pluginv1.InvokeRequest{Header: call{step: step, config: config, input: in, callID: "bench"}.header(b)}
}

func mustCall(b *testing.B, p *proc, c context.Context, req *pluginv1.InvokeRequest) {
	resp, err := p.plugin.Invoke(c, req)
	if err != nil || resp.GetError() != nil || resp.GetOutput() == nil {
		b.Fatalf("call failed: %v %v", err, resp.GetError())
	}
}

// BenchmarkHealthCheck is the floor: a gRPC round trip that runs no SDK code.
func BenchmarkHealthCheck(b *testing.B) {
	p := start(b, conformanceBin)
	client := healthpb.NewHealthClient(p.conn)
	bg := context.Background()
	lat := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime(b, p.cmd.Process.Pid)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := client.Check(bg, &healthpb.HealthCheckRequest{}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime(b, p.cmd.Process.Pid)-cpu0).Microseconds())/float64(b.N), "plugin-cpu-µs/call")
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
}

// cpuTime is the user+system CPU time pid has used (from /proc, 10 ms ticks).
func cpuTime(b *testing.B, pid int) time.Duration {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
