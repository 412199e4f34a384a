package e2e

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"google.golang.org/protobuf/proto"
)

// A 1-row echo over the frame lane vs gRPC Invoke, from a Go client over the
// Unix socket, and the floor under both: a plain Unix-socket ping-pong of the
// same bytes with another process. Run with:
//
//	go test ./e2e -run '^$' -bench Frames -benchtime 20000x
//
// p50-µs/p99-µs are latencies of sequential calls, calls/s their rate (of 16
// calls in flight for the Parallel benchmark); plugin-cpu-µs/call is the CPU
// the plugin process spent per call.
func BenchmarkFramesEcho(b *testing.B) {
	b.Run("frames", func(b *testing.B) {
		p, _ := startFrames(b, "", "")
		h, payload := oneRowEcho(b)
		frame := callFrame(b, h, payload)
		conn := dialRaw(b, p)
		if _, err := conn.Write([]byte(preface)); err != nil {
			b.Fatal(err)
		}
		r := bufio.NewReaderSize(conn, 64<<10)
		roundTrip := func() {
			if _, err := conn.Write(frame); err != nil {
				b.Fatal(err)
			}
			if _, message, _, err := readFrame(r, kindResult); err != nil || len(message) == 0 {
				b.Fatalf("result frame: %v", err)
			}
		}
		measure(b, p.cmd.Process.Pid, roundTrip)
	})
	b.Run("grpc", func(b *testing.B) {
		p := start(b, conformanceBin)
		h, payload := oneRowEcho(b)
		h.Input = &pluginv1.DataRef{Kind: &pluginv1.DataRef_Inline{Inline: &pluginv1.InlineTable{Ipc: payload, NumRows: 1}}}
		req := &pluginv1.InvokeRequest{Header: h}
		measure(b, p.cmd.Process.Pid, func() { mustCall(b, p, context.Background(), req) })
	})
	b.Run("uds-floor", func(b *testing.B) {
		h, payload := oneRowEcho(b)
		frame := callFrame(b, h, payload)
		conn, pid := startUDSEcho(b)
		back := make([]byte, len(frame))
		measure(b, pid, func() {
			if _, err := conn.Write(frame); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(conn, back); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkFramesEchoParallel keeps 16 calls in flight on one connection.
func BenchmarkFramesEchoParallel(b *testing.B) {
	p, _ := startFrames(b, "", "")
	c := dialFrames(b, p)
	h, payload := oneRowEcho(b)
	const inFlight = 16
	window := make(chan (<-chan frameResult), inFlight)
	b.ResetTimer()
	begin := time.Now()
	go func() {
		for i := 0; i < b.N; i++ {
			window <- c.send(h, payload)
		}
		close(window)
	}()
	for ch := range window {
		if r := <-ch; r.err != nil || r.resp.GetError() != nil {
			b.Fatalf("call failed: %v %v", r.err, r.resp.GetError())
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(begin).Seconds(), "calls/s")
}

// oneRowEcho is the echo call of a 1-row table as the frame lane sends it.
func oneRowEcho(b *testing.B) (*pluginv1.InvokeHeader, []byte) {
	in := table(b, schema(field("id", int64T), field("name", utf8T)), map[string]any{"id": 1, "name": "a"})
	return frameHeader(b, call{step: "echo", input: in, callID: "bench"})
}

func callFrame(b *testing.B, h *pluginv1.InvokeHeader, payload []byte) []byte {
	message, err := proto.Marshal(h)
	if err != nil {
		b.Fatal(err)
	}
	return appendFrame(nil, kindCall, 1, message, payload)
}

// measure runs roundTrip b.N times after a warm-up and reports latencies,
// rate and the CPU process pid spent per call.
func measure(b *testing.B, pid int, roundTrip func()) {
	for i := 0; i < 500; i++ {
		roundTrip()
	}
	lat := make([]time.Duration, 0, b.N)
	cpu0 := cpuTime(b, pid)
	b.ResetTimer()
	begin := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		roundTrip()
		lat = append(lat, time.Since(t0))
	}
	elapsed := time.Since(begin)
	b.StopTimer()
	b.ReportMetric(float64((cpuTime(b, pid)-cpu0).Microseconds())/float64(b.N), "plugin-cpu-µs/call")
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
}

// udsEchoEnv makes the test binary a Unix-socket echo server (see runTests).
const udsEchoEnv = "HEDDLE_E2E_UDS_ECHO"

// startUDSEcho runs this test binary as an echo server in another process
// and connects to it.
func startUDSEcho(b *testing.B) (*net.UnixConn, int) {
	dir, err := os.MkdirTemp("", "hg")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = os.RemoveAll(dir) })
	path := filepath.Join(dir, "echo.sock")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), udsEchoEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		b.Fatalf("the echo process did not start: %v", err)
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	return conn, cmd.Process.Pid
}

// udsEcho serves one connection on path, writing back whatever it reads.
func udsEcho(path string) int {
	lis, err := net.Listen("unix", path)
	if err != nil {
		return 1
	}
	os.Stdout.WriteString("ready\n")
	conn, err := lis.Accept()
	if err != nil {
		return 1
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return 0
		}
		if _, err := conn.Write(buf[:n]); err != nil {
			return 0
		}
	}
}
