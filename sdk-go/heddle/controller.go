package heddle

import (
	"context"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
)

// defaultGraceMs is the grace of a Shutdown that names none, of stdin EOF and
// of SIGTERM/SIGINT (protocol §2.2, §11).
const defaultGraceMs = 2000

// Cancel marks every running call with the id cancelled: its context's Done
// closes and the call answers CANCELLED. found is false when no such call is
// running. It never fails.
func (s *server) Cancel(_ context.Context, req *pluginv1.CancelRequest) (*pluginv1.CancelResponse, error) {
	found := s.calls.cancel(req.GetCallId(), errCancelledByHost)
	if found {
		s.log.Debug("cancelled call", "call_id", req.GetCallId(), "reason", req.GetReason())
	}
	return &pluginv1.CancelResponse{Found: found}, nil
}

// Shutdown replies at once, then the process stops accepting calls, lets
// in-flight ones finish within grace_ms, closes open resources and exits 0
// (see Plugin.Run). It never fails.
func (s *server) Shutdown(_ context.Context, req *pluginv1.ShutdownRequest) (*pluginv1.ShutdownResponse, error) {
	grace := req.GetGraceMs()
	if grace == 0 {
		grace = defaultGraceMs
	}
	s.stop("Shutdown requested by the host", grace)
	return &pluginv1.ShutdownResponse{}, nil
}

// ReleaseSegments is the host saying that nobody needs these segments any
// more (protocol §8.2). This SDK closes a segment file as soon as it is
// written and keeps no mapping of it, so there is nothing to drop; the host
// unlinks the files. Unknown ids are fine. It never fails.
func (s *server) ReleaseSegments(_ context.Context, req *pluginv1.ReleaseSegmentsRequest) (*pluginv1.ReleaseSegmentsResponse, error) {
	s.log.Debug("segments released by the host", "segment_ids", req.GetSegmentIds())
	return &pluginv1.ReleaseSegmentsResponse{}, nil
}
