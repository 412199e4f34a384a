package heddle

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
)

type emptyConfig struct{}

// serveInProcess serves p inside the test process and returns a connected
// client and a function that stops the plugin (also run when the test ends).
func serveInProcess(tb testing.TB, p *Plugin) (*grpc.ClientConn, func()) {
	dir, err := os.MkdirTemp("", "hb")
	if err != nil {
		tb.Fatal(err)
	}
	socket := filepath.Join(dir, "p.sock")
	stdinR, stdinW := io.Pipe()
	stdout := &lineWaiter{ready: make(chan struct{})}
	env := map[string]string{"HEDDLE_PLUGIN_COOKIE": Cookie, "HEDDLE_PLUGIN_PROTOCOL_VERSIONS": "1", "HEDDLE_PLUGIN_SOCKET": socket, "HEDDLE_LOG_LEVEL": "error"}
	exited := make(chan int, 1)
	go func() {
		exited <- p.Run(RunOptions{Getenv: func(k string) string { return env[k] }, Stdin: stdinR, Stdout: stdout, Stderr: io.Discard, NoSignals: true})
	}()
	<-stdout.ready
	conn, err := grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			conn.Close()
			stdinW.Close() // EOF on stdin stops the plugin
			<-exited
			os.RemoveAll(dir)
		})
	}
	tb.Cleanup(stop)
	return conn, stop
}

// lineWaiter signals once the handshake line was written.
type lineWaiter struct {
	ready chan struct{}
	seen  bool
}

func (w *lineWaiter) Write(p []byte) (int, error) {
	if !w.seen && strings.HasPrefix(string(p), "HEDDLE|") {
		w.seen = true
		close(w.ready)
	}
	return len(p), nil
}

func BenchmarkServeInvokeInProcess(b *testing.B) {
	p := NewPlugin(Info{Namespace: "bench"})
	Step(p, "echo", func(_ *StepContext, _ emptyConfig, in *Table) (*Table, error) { return in, nil })
	conn, _ := serveInProcess(b, p)
	client := pluginv1.NewPluginServiceClient(conn)
	data, _ := EncodeIPC(smallTable(b))
	req := &pluginv1.InvokeRequest{Header: &pluginv1.InvokeHeader{CallId: "b", Step: "echo", ConfigJson: "{}",
		Input: &pluginv1.DataRef{Kind: &pluginv1.DataRef_Inline{Inline: &pluginv1.InlineTable{Ipc: data, NumRows: 3}}}}}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := client.Invoke(ctx, req)
		if err != nil || resp.GetError() != nil {
			b.Fatal(err, resp.GetError())
		}
	}
}

func BenchmarkServeFramesInProcess(b *testing.B) {
	p := NewPlugin(Info{Namespace: "bench"})
	Step(p, "echo", func(_ *StepContext, _ emptyConfig, in *Table) (*Table, error) { return in, nil })
	conn, _ := serveInProcess(b, p)
	socket := strings.TrimPrefix(conn.Target(), "unix://") + framesSocketSuffix
	frames, err := net.Dial("unix", socket)
	if err != nil {
		b.Fatal(err)
	}
	defer frames.Close()
	data, _ := EncodeIPC(smallTable(b))
	h := &pluginv1.InvokeHeader{CallId: "b", Step: "echo", ConfigJson: "{}",
		Input: &pluginv1.DataRef{Kind: &pluginv1.DataRef_Streamed{Streamed: &pluginv1.StreamedTable{TotalBytes: uint64(len(data))}}}}
	message, _ := proto.Marshal(h)
	frame := make([]byte, framePrefixBytes)
	putFrameHead(frame, frameHead{kind: frameKindCall, callNo: 1, messageLen: uint32(len(message)), payloadLen: uint64(len(data))})
	frame = append(append(frame, message...), data...)
	if _, err := frames.Write([]byte(framePreface)); err != nil {
		b.Fatal(err)
	}
	fr := newFrameReader(frames)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := frames.Write(frame); err != nil {
			b.Fatal(err)
		}
		resp := &pluginv1.InvokeResponse{}
		if _, _, err := fr.next(frameKindResult, resp); err != nil || resp.GetError() != nil {
			b.Fatal(err, resp.GetError())
		}
	}
}
