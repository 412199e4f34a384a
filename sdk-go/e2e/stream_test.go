package e2e

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"github.com/heddle-host/heddle/sdk-go/heddle"
)

// streamed is what one InvokeStream returned.
type streamed struct {
	chunks [][]byte
	result *pluginv1.InvokeResponse
}

// invokeStream sends header, then input in chunkSize slices, half-closes and
// gathers the answer.
func (p *proc) invokeStream(t testing.TB, c call, chunkSize int) streamed {
	t.Helper()
	stream, err := p.plugin.InvokeStream(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	h := c.header(t)
	var data []byte
	if c.input != nil {
		data, _ = heddle.EncodeIPC(c.input)
		h.Input = &pluginv1.DataRef{Kind: &pluginv1.DataRef_Streamed{Streamed: &pluginv1.StreamedTable{TotalBytes: uint64(len(data))}}}
	}
	if err := stream.Send(&pluginv1.InvokeStreamRequest{Msg: &pluginv1.InvokeStreamRequest_Header{Header: h}}); err != nil {
		t.Fatal(err)
	}
	for len(data) > 0 {
		n := min(chunkSize, len(data))
		if err := stream.Send(&pluginv1.InvokeStreamRequest{Msg: &pluginv1.InvokeStreamRequest_Chunk{Chunk: &pluginv1.TableChunk{Data: data[:n]}}}); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var out streamed
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if out.result != nil {
			t.Fatal("a message arrived after the result")
		}
		if chunk := msg.GetChunk(); chunk != nil {
			out.chunks = append(out.chunks, chunk.GetData())
		} else {
			out.result = msg.GetResult()
		}
	}
	if out.result == nil {
		t.Fatal("the stream ended without a result")
	}
	return out
}

// table joins the chunks and decodes them, checking the protocol's limits.
func (s streamed) table(t testing.TB) *heddle.Table {
	t.Helper()
	if s.result.GetError() != nil {
		t.Fatalf("stream failed: %v", s.result.GetError())
	}
	var all []byte
	for i, c := range s.chunks {
		if len(c) > heddle.MaxChunkBytes {
			t.Errorf("chunk %d is %d bytes, over 2 MiB", i, len(c))
		}
		all = append(all, c...)
	}
	if got := s.result.GetOutput().GetStreamed().GetTotalBytes(); got != uint64(len(all)) {
		t.Errorf("total_bytes %d, chunks hold %d", got, len(all))
	}
	out, err := heddle.DecodeIPC(all)
	if err != nil {
		t.Fatalf("streamed output is not Arrow IPC: %v", err)
	}
	return out
}

func TestInvokeStream(t *testing.T) {
	p := start(t, conformanceBin)

	t.Run("large echo in 1 MiB chunks", func(t *testing.T) {
		rows := make([]map[string]any, 100_000)
		for i := range rows {
			rows[i] = map[string]any{"id": i, "name": fmt.Sprintf("name-%d-%s", i, strings.Repeat("x", 40))}
		}
		in := table(t, schema(field("id", int64T), field("name", utf8T)), rows...)
		out := p.invokeStream(t, call{step: "echo", input: in}, 1<<20)
		got := out.table(t)
		if got.NumRows() != in.NumRows() || !got.Schema().Equal(in.Schema()) {
			t.Fatalf("echo: %d rows %v, want %d rows %v", got.NumRows(), got.Schema(), in.NumRows(), in.Schema())
		}
		last := got.ToRows()[99_999]
		if last["id"] != int64(99_999) || last["name"] != rows[99_999]["name"] {
			t.Errorf("last row %v", last)
		}
		if len(out.chunks) < 2 {
			t.Errorf("a %d-row table came back in %d chunk(s)", got.NumRows(), len(out.chunks))
		}
	})
	t.Run("output over the unary limit", func(t *testing.T) {
		out := p.invokeStream(t, call{step: "generate", config: map[string]any{"rows": 1_000_000}}, 0)
		got := out.table(t)
		if got.NumRows() != 1_000_000 {
			t.Fatalf("%d rows", got.NumRows())
		}
		if last := got.ToRows()[999_999]; last["label"] != "row-999999" {
			t.Errorf("last row %v", last)
		}
		if out.result.GetStats().GetOutputRows() != 1_000_000 {
			t.Errorf("stats %v", out.result.GetStats())
		}
		if len(out.chunks) < 8 {
			t.Errorf("%d chunks for ~20 MB", len(out.chunks))
		}
		// Each batch message is under 2 MiB here, so every chunk must end at
		// a message boundary: a receiver can decode batch by batch.
		var all []byte
		for _, c := range out.chunks {
			all = append(all, c...)
		}
		ends := messageEnds(t, all)
		offset := 0
		for i, c := range out.chunks {
			offset += len(c)
			if !ends[offset] {
				t.Errorf("chunk %d ends at byte %d, inside an IPC message", i, offset)
			}
		}
	})
	t.Run("errors come back as the result", func(t *testing.T) {
		out := p.invokeStream(t, call{step: "nope"}, 0)
		if out.result.GetError().GetCode() != heddle.CodeUnknownStep.Proto() || len(out.chunks) != 0 {
			t.Errorf("%v", out.result)
		}
		out = p.invokeStream(t, call{step: "generate", config: map[string]any{}}, 0)
		if out.result.GetError().GetField() != "/rows" {
			t.Errorf("%v", out.result)
		}
	})
	t.Run("sink without output", func(t *testing.T) {
		out := p.invokeStream(t, call{step: "echo"}, 0)
		if out.result.GetError() != nil || out.result.GetOutput() != nil || len(out.chunks) != 0 {
			t.Errorf("echo of nothing: %v", out.result)
		}
	})
}

// countingReader counts what has been read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// messageEnds returns the byte offsets at which the IPC messages of data end.
func messageEnds(t testing.TB, data []byte) map[int]bool {
	t.Helper()
	cr := &countingReader{r: bytes.NewReader(data)}
	mr := ipc.NewMessageReader(cr)
	defer mr.Release()
	ends := map[int]bool{}
	for {
		_, err := mr.Message()
		ends[cr.n] = true // after the end-of-stream marker too
		if err == io.EOF {
			return ends
		}
		if err != nil {
			t.Fatalf("reading IPC messages: %v", err)
		}
	}
}
