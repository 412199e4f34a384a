package heddle

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// capabilities are the flags this SDK implements (protocol §2.4).
var capabilities = []string{"streaming", "cancel", "commands"}

// server adapts a Plugin to the generated PluginService and
// ControllerService: the generated code stops here.
type server struct {
	pluginv1.UnimplementedPluginServiceServer
	pluginv1.UnimplementedControllerServiceServer

	plugin    *Plugin
	manifest  *pluginv1.Manifest
	version   uint32 // the protocol version announced on the handshake line
	log       *slog.Logger
	instances *instanceTable
	calls     *callRegistry
	workers   *workerPool                       // goroutines for steps and frame calls
	shm       *shmPlace                         // where output segments go; disabled when HEDDLE_SHM_DIR is unusable
	shmOff    string                            // why shm is disabled, for messages
	frames    *frameServer                      // the frame lane; nil when its socket could not be served
	stop      func(reason string, grace uint32) // asks the process to shut down

	gate     sync.RWMutex // closing flips under the write lock; calls enter under the read lock
	closing  bool
	inflight sync.WaitGroup
}

func newServer(p *Plugin, version uint32, log *slog.Logger, stop func(string, uint32), shm *shmPlace, shmOff string) *server {
	return &server{plugin: p, manifest: p.Manifest(), version: version, log: log,
		instances: newInstanceTable(), calls: newCallRegistry(), workers: newWorkerPool(), stop: stop, shm: shm, shmOff: shmOff}
}

// enter admits a gRPC call unless the plugin is shutting down (then it fails
// with UNAVAILABLE); every admitted call must call leave.
func (s *server) enter() error {
	if !s.admit() {
		return status.Error(codes.Unavailable, "the plugin is shutting down and accepts no new calls")
	}
	return nil
}

// admit reports whether a call may start, and counts it in flight when it
// may: Shutdown waits for admitted calls. Every admitted call must call leave.
func (s *server) admit() bool {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.closing {
		return false
	}
	s.inflight.Add(1)
	return true
}

func (s *server) leave() { s.inflight.Done() }

// closeGate makes enter refuse every later call.
func (s *server) closeGate() {
	s.gate.Lock()
	s.closing = true
	s.gate.Unlock()
}

// Handshake answers with the version picked at start when the host offers
// it, and the capability flags both sides support ("shm" only when
// HEDDLE_SHM_DIR is a writable directory, "frames" only when the frame
// socket is served). It fails with
// FAILED_PRECONDITION (detail: an Error PROTOCOL_MISMATCH) when the host does
// not offer that version.
func (s *server) Handshake(_ context.Context, req *pluginv1.HandshakeRequest) (*pluginv1.HandshakeResponse, error) {
	if !slices.Contains(req.GetProtocolVersions(), s.version) {
		msg := fmt.Sprintf("PROTOCOL_MISMATCH: the host offers protocol versions %v, this plugin (%s %s) speaks %d; upgrade the older side",
			req.GetProtocolVersions(), SDKName, SDKVersion, s.version)
		st, err := status.New(codes.FailedPrecondition, msg).WithDetails(&pluginv1.Error{
			Code: pluginv1.ErrorCode_ERROR_CODE_PROTOCOL_MISMATCH, Message: msg})
		if err != nil {
			return nil, status.Error(codes.FailedPrecondition, msg)
		}
		return nil, st.Err()
	}
	var shared []string
	for _, c := range capabilities {
		if slices.Contains(req.GetCapabilities(), c) {
			shared = append(shared, c)
		}
	}
	if slices.Contains(req.GetCapabilities(), CapabilityShm) {
		if s.shm.enabled() {
			shared = append(shared, CapabilityShm)
		} else {
			s.log.Debug("not offering shared-memory tables", "reason", s.shmOff)
		}
	}
	if slices.Contains(req.GetCapabilities(), CapabilityFrames) && s.frames != nil {
		shared = append(shared, CapabilityFrames)
	}
	return &pluginv1.HandshakeResponse{
		ProtocolVersion: s.version, SdkName: SDKName, SdkLanguage: SDKLanguage, SdkVersion: SDKVersion,
		Capabilities: shared, Pid: int32(os.Getpid()),
	}, nil
}

// Describe returns the manifest, built once when serving started.
func (s *server) Describe(context.Context, *pluginv1.DescribeRequest) (*pluginv1.DescribeResponse, error) {
	return &pluginv1.DescribeResponse{Manifest: s.manifest}, nil
}

// OpenResource validates the config, runs the constructor and returns the
// new instance id; failures come back as the response's Error
// (UNKNOWN_RESOURCE, INVALID_CONFIG, RESOURCE_INIT_FAILED).
func (s *server) OpenResource(ctx context.Context, req *pluginv1.OpenResourceRequest) (*pluginv1.OpenResourceResponse, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	e := s.plugin.resources[req.GetResource()]
	if e == nil {
		return &pluginv1.OpenResourceResponse{Error: (&Error{Code: CodeUnknownResource, Component: req.GetResource(),
			Message: fmt.Sprintf("plugin %q has no resource kind %q; it has: %s", s.plugin.info.Namespace, req.GetResource(), s.resourceNames())}).toProto()}, nil
	}
	config, failure := e.config.decode(req.GetConfigJson())
	if failure != nil {
		failure.Component = e.name
		return &pluginv1.OpenResourceResponse{Error: failure.toProto()}, nil
	}
	value, failure := e.construct(ctx, config)
	if failure != nil {
		s.log.Warn("resource constructor failed", "resource", e.name, "error", failure.Message)
		return &pluginv1.OpenResourceResponse{Error: failure.toProto()}, nil
	}
	id := s.instances.add(e.name, value)
	s.log.Debug("opened resource", "resource", e.name, "instance", id)
	return &pluginv1.OpenResourceResponse{InstanceId: id}, nil
}

// CloseResource forgets the instance and runs its close hook; an id that is
// not open is RESOURCE_NOT_OPEN, a failing hook STEP_FAILED.
func (s *server) CloseResource(_ context.Context, req *pluginv1.CloseResourceRequest) (*pluginv1.CloseResourceResponse, error) {
	inst := s.instances.remove(req.GetInstanceId())
	if inst == nil {
		return &pluginv1.CloseResourceResponse{Error: (&Error{Code: CodeResourceNotOpen,
			Message: fmt.Sprintf("resource instance %q is not open (already closed, or never opened here)", req.GetInstanceId())}).toProto()}, nil
	}
	if err := closeValue(inst.value); err != nil {
		return &pluginv1.CloseResourceResponse{Error: (&Error{Code: CodeStepFailed, Component: inst.kind,
			Message: fmt.Sprintf("closing resource instance %q failed: %v", inst.id, err)}).toProto()}, nil
	}
	s.log.Debug("closed resource", "resource", inst.kind, "instance", inst.id)
	return &pluginv1.CloseResourceResponse{}, nil
}

// closeAllResources runs every open instance's close hook (at shutdown).
func (s *server) closeAllResources() {
	for _, inst := range s.instances.removeAll() {
		if err := closeValue(inst.value); err != nil {
			s.log.Warn("closing resource failed", "instance", inst.id, "error", err.Error())
		}
	}
}

func (s *server) resourceNames() string { return namesOf(s.plugin.resources) }

func namesOf[V any](m map[string]V) string {
	if len(m) == 0 {
		return "none"
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
