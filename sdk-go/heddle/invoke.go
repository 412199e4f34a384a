package heddle

import (
	"context"
	"fmt"
	"io"
	"time"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

// inputSource is a call's input as it arrived, decoded only at check 4.
type inputSource struct {
	data    []byte
	segment *pluginv1.SharedMemoryRef // input = shm: mapped at check 4
	mapping *segmentMapping           // the call's hold on the mapped segment
	mapped  *Table                    // the table read from segment, to recognise it coming back unchanged (§8.2)
	table   *Table                    // an input already in memory (in-process calls, inprocess.go): taken as is
	present bool
	problem *Error // the input came in a form this call cannot take
}

// release drops the call's hold on a mapped input segment; call it once the
// answer no longer needs the input's bytes (they are encoded or written).
func (in *inputSource) release() { in.mapping.release() }

// takeSegment accepts input = shm when this plugin advertised "shm".
func (s *server) takeSegment(in *inputSource, ref *pluginv1.SharedMemoryRef) {
	if !s.shm.enabled() {
		in.problem = &Error{Code: CodeUnsupported, Message: "shared-memory tables are not enabled in this plugin (it did not advertise shm: " +
			s.shmOff + "); send the table inline or streamed"}
		return
	}
	in.segment, in.present = ref, true
}

// execute runs a call through the pipeline every lane shares (checks of §5.1
// for each fused stage, input decoding, the steps, cancellation and the
// deadline) and answers what does not depend on the lane: a failure, a sink,
// or an output by handle (§8.2: the input's own segment when the output is
// the input unchanged, else a new one). A nil response means out is to be sent the
// lane's way: inline bytes (Invoke), chunks (InvokeStream) or a frame payload
// (§5.5).
func (s *server) execute(ctx context.Context, h *pluginv1.InvokeHeader, in *inputSource, start time.Time) (*pluginv1.InvokeResponse, *Table) {
	out, failure := s.run(ctx, h, in)
	switch {
	case failure != nil:
		return failed(failure, start), nil
	case out == nil:
		return &pluginv1.InvokeResponse{Stats: stats(start, 0, 0)}, nil
	case passesThrough(h, in, out):
		return answerWithInputSegment(in.segment, out, start), nil
	case s.wantsShmOutput(h, out):
		return s.answerWithSegment(producer(h), out, start), nil
	}
	return nil, out
}

// unwritableOutput is the INVALID_OUTPUT answer for an output that the Arrow
// IPC writer refuses (a batch that does not match the schema).
func unwritableOutput(h *pluginv1.InvokeHeader, err error) *Error {
	return &Error{Code: CodeInvalidOutput, Component: producer(h),
		Message: fmt.Sprintf("%s returned a table that cannot be written as Arrow IPC: %v", producer(h), err)}
}

// Invoke runs a step or handler with an inline input and answers with an
// inline output or an Error (gRPC status OK), per protocol §5.1.
func (s *server) Invoke(ctx context.Context, req *pluginv1.InvokeRequest) (*pluginv1.InvokeResponse, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	start := time.Now()
	h := req.GetHeader()
	if h == nil {
		return failed(&Error{Code: CodeInternal, Message: "the InvokeRequest has no header: this is a host bug, please report it"}, start), nil
	}
	in := &inputSource{}
	defer in.release()
	switch k := h.GetInput().GetKind().(type) {
	case *pluginv1.DataRef_Inline:
		in.data, in.present = k.Inline.GetIpc(), true
	case *pluginv1.DataRef_Streamed:
		in.problem = &Error{Code: CodeInvalidInput, Message: "a unary Invoke carries its input inline; send streamed input with InvokeStream"}
	case *pluginv1.DataRef_Shm:
		s.takeSegment(in, k.Shm)
	}
	resp, out := s.execute(ctx, h, in, start)
	if resp != nil {
		return resp, nil
	}
	data, err := EncodeIPC(out)
	if err != nil {
		return failed(unwritableOutput(h, err), start), nil
	}
	if len(data) > MaxUnaryOutputBytes {
		return failed(&Error{Code: CodeInvalidOutput, Component: producer(h), Message: fmt.Sprintf(
			"%s returned %d bytes of Arrow IPC, over the 16 MiB limit of a unary Invoke: call this step with InvokeStream",
			producer(h), len(data))}, start), nil
	}
	return &pluginv1.InvokeResponse{
		Output: &pluginv1.DataRef{Kind: &pluginv1.DataRef_Inline{Inline: &pluginv1.InlineTable{Ipc: data, NumRows: uint64(out.rows)}}},
		Stats:  stats(start, out.rows, len(data)),
	}, nil
}

// InvokeStream gathers the header and input chunks until the host
// half-closes, runs the step, then streams the output in chunks of at most
// 2 MiB cut at IPC message boundaries, and ends with one result (§5.2).
func (s *server) InvokeStream(stream pluginv1.PluginService_InvokeStreamServer) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	start := time.Now()
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	h := first.GetHeader()
	in := &inputSource{}
	defer in.release()
	var gathered []byte
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err // the host cancelled or went away
		}
		if chunk := msg.GetChunk(); chunk != nil {
			gathered = append(gathered, chunk.GetData()...)
		} else if in.problem == nil {
			in.problem = &Error{Code: CodeInvalidInput, Message: "InvokeStream got a second header; send the header once, then only chunks"}
		}
	}
	if h == nil {
		return sendResult(stream, failed(&Error{Code: CodeInvalidInput, Message: "the first InvokeStream message must be the header"}, start))
	}
	switch k := h.GetInput().GetKind().(type) {
	case *pluginv1.DataRef_Streamed:
		in.data, in.present = gathered, true
	case *pluginv1.DataRef_Inline:
		in.data, in.present = k.Inline.GetIpc(), true
	case *pluginv1.DataRef_Shm:
		if len(gathered) > 0 && in.problem == nil {
			in.problem = &Error{Code: CodeInvalidInput, Message: "InvokeStream got input = shm and TableChunks too; a shared-memory input carries no chunks"}
		} else {
			s.takeSegment(in, k.Shm)
		}
	default:
		in.data, in.present = gathered, len(gathered) > 0 // chunks without the announcement: take them
	}
	resp, out := s.execute(stream.Context(), h, in, start)
	if resp != nil { // a failure, a sink or a segment: no chunks, only the result
		return sendResult(stream, resp)
	}
	sendErr := error(nil)
	total, err := writeIPC(out, func(p []byte) error {
		sendErr = stream.Send(&pluginv1.InvokeStreamResponse{Msg: &pluginv1.InvokeStreamResponse_Chunk{Chunk: &pluginv1.TableChunk{Data: p}}})
		return sendErr
	}, MaxChunkBytes)
	if sendErr != nil {
		return sendErr
	}
	if err != nil {
		return sendResult(stream, failed(unwritableOutput(h, err), start))
	}
	return sendResult(stream, &pluginv1.InvokeResponse{
		Output: &pluginv1.DataRef{Kind: &pluginv1.DataRef_Streamed{Streamed: &pluginv1.StreamedTable{TotalBytes: uint64(total)}}},
		Stats:  stats(start, out.rows, int(total)),
	})
}

func sendResult(stream pluginv1.PluginService_InvokeStreamServer, r *pluginv1.InvokeResponse) error {
	return stream.Send(&pluginv1.InvokeStreamResponse{Msg: &pluginv1.InvokeStreamResponse_Result{Result: r}})
}

func failed(e *Error, start time.Time) *pluginv1.InvokeResponse {
	return &pluginv1.InvokeResponse{Error: e.toProto(), Stats: stats(start, 0, 0)}
}

func stats(start time.Time, rows int64, bytes int) *pluginv1.CallStats {
	return &pluginv1.CallStats{DurationUs: uint64(time.Since(start).Microseconds()), OutputRows: uint64(rows), OutputBytes: uint64(bytes)}
}
