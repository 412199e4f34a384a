package heddle

// Pass-through (protocol §8.2): a step that returns its input table unchanged
// (an echo, a filter that kept every row, a logging step) when that input
// came by handle answers with the input's own SharedMemoryRef. The host
// recognises the segment it lent to the call and hands it on, so a chain of
// such steps moves no bytes: no new segment, no copy, no encoding.

import (
	"time"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

// passesThrough reports whether out goes back as the call's input segment:
// out is the very table decoded from that segment (Tables are immutable, so
// the same *Table is the same rows; for a fused call, the last stage returned
// the first step's input), the host asked for outputs by handle
// (shm_output_threshold > 0) and the segment is at least that large. Below
// the threshold the output travels as bytes, as any small output does.
//
// Identity with this call's decoded input, not a mark on the Table, is what
// counts: a table a step kept from an earlier call names a segment that was
// lent to that call only, and answering with it would be SEGMENT_INVALID.
func passesThrough(h *pluginv1.InvokeHeader, in *inputSource, out *Table) bool {
	threshold := h.GetShmOutputThreshold()
	return in.mapped != nil && out == in.mapped && threshold > 0 && in.segment.GetLength() >= threshold
}

// answerWithInputSegment answers with a copy of the input's ref (same
// segment_id, path, offset and length) and num_rows of the table. It writes
// nothing and never fails; the call still drops its mapping once answered
// (§8.3), as the host owns the segment.
func answerWithInputSegment(in *pluginv1.SharedMemoryRef, out *Table, start time.Time) *pluginv1.InvokeResponse {
	ref := &pluginv1.SharedMemoryRef{SegmentId: in.GetSegmentId(), Path: in.GetPath(), Offset: in.GetOffset(),
		Length: in.GetLength(), NumRows: uint64(out.rows)}
	return &pluginv1.InvokeResponse{
		Output: &pluginv1.DataRef{Kind: &pluginv1.DataRef_Shm{Shm: ref}},
		Stats:  stats(start, out.rows, int(ref.GetLength())),
	}
}
