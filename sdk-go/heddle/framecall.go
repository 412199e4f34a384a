package heddle

// One call on the frame lane (protocol §5.5): the header's input taken from
// the frame, the call run through the pipeline every lane shares
// (server.execute: checks, fused stages, shared memory, cancellation by
// call_id, the timeout_ms deadline, logging), the output sent as the result
// frame's payload.

import (
	"fmt"
	"time"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

// codePluginUnavailable is how the frame lane refuses a call while the
// plugin shuts down, so the host sends it to another process of the pool.
const codePluginUnavailable Code = "PLUGIN_UNAVAILABLE"

// answer runs one admitted call frame and writes its result frame.
func (c *frameConn) answer(callNo uint32, h *pluginv1.InvokeHeader, payload []byte) {
	s := c.f.srv
	defer c.pending.done()
	defer s.leave() // after the result is written: Shutdown waits for delivered answers
	start := time.Now()
	in := s.frameInput(h, payload)
	defer in.release() // after the write too: the payload may point into the input segment
	resp, out := s.execute(c.ctx, h, in, start)
	var pieces [][]byte
	var n int
	if resp == nil {
		var err error
		if pieces, n, err = framePayload(out); err != nil {
			resp, pieces, n = failed(unwritableOutput(h, err), start), nil, 0
		} else {
			resp = &pluginv1.InvokeResponse{
				Output: &pluginv1.DataRef{Kind: &pluginv1.DataRef_Streamed{Streamed: &pluginv1.StreamedTable{TotalBytes: uint64(n)}}},
				Stats:  stats(start, out.rows, n),
			}
		}
	}
	c.send(callNo, resp, pieces, n)
}

// refuse answers a call frame that arrived while the plugin shuts down.
func (c *frameConn) refuse(callNo uint32, h *pluginv1.InvokeHeader) {
	defer c.pending.done()
	c.send(callNo, failed(&Error{Code: codePluginUnavailable, Component: h.GetStep(), Message: fmt.Sprintf(
		"the plugin is shutting down and accepts no new calls; %s was not run, send it to another process", h.GetStep())}, time.Now()), nil, 0)
}

// frameInput is a call frame's input: the payload when the header says
// `streamed` (total_bytes, when not 0, must be the payload's length), the
// header's bytes for `inline`, a segment for `shm`, nothing for an unset
// input. A payload under any kind but `streamed` is INVALID_INPUT (§5.5).
func (s *server) frameInput(h *pluginv1.InvokeHeader, payload []byte) *inputSource {
	in := &inputSource{}
	switch k := h.GetInput().GetKind().(type) {
	case *pluginv1.DataRef_Streamed:
		if total := k.Streamed.GetTotalBytes(); total != 0 && total != uint64(len(payload)) {
			in.problem = &Error{Code: CodeInvalidInput, Message: fmt.Sprintf(
				"the call frame announces a streamed input of %d bytes (total_bytes) but its payload holds %d", total, len(payload))}
			break
		}
		in.data, in.present = payload, true
	case *pluginv1.DataRef_Inline:
		if len(payload) > 0 {
			in.problem = &Error{Code: CodeInvalidInput, Message: "the call frame has input = inline and a payload too; send the table in one of them"}
			break
		}
		in.data, in.present = k.Inline.GetIpc(), true
	case *pluginv1.DataRef_Shm:
		if len(payload) > 0 {
			in.problem = &Error{Code: CodeInvalidInput, Message: "the call frame has input = shm and a payload too; a shared-memory input carries no payload"}
			break
		}
		s.takeSegment(in, k.Shm)
	default:
		if len(payload) > 0 {
			in.problem = &Error{Code: CodeInvalidInput, Message: "the call frame carries a payload but its header announces the input as absent: send the input as header.input.streamed with the IPC bytes as payload"}
		}
	}
	return in
}
