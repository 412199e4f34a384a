package heddle

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	pluginv1 "github.com/heddle-host/heddle/sdk-go/gen/heddle/plugin/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Cookie is the value of HEDDLE_PLUGIN_COOKIE a host sets (protocol §2.1): a
// guard against starting a plugin by hand, not a secret.
const Cookie = "5c0f6a8e1d2b4c7f9a3e0b6d8c1f2a47"

// Exit statuses of a plugin process (protocol §2.2).
const (
	ExitOK               = 0
	ExitStartFailed      = 1
	ExitCookieMismatch   = 3
	ExitProtocolMismatch = 4
)

// supportedVersions are the protocol versions this SDK speaks, highest first.
var supportedVersions = []uint32{1}

// maxMessageBytes is the gRPC message limit both ways (the protocol asks ≥ 16 MiB).
const maxMessageBytes = 64 << 20

// Serve runs the plugin as the host expects (Run with the real process
// surroundings) and exits the process with Run's status: 0 after a
// shutdown, 3 on a wrong cookie, 4 when no protocol version is shared, 1 when
// the socket cannot be served. It never returns.
func (p *Plugin) Serve() {
	os.Exit(p.Run(RunOptions{}))
}

// Run is the process side of protocol §2: it checks the cookie, picks the
// protocol version, serves PluginService, ControllerService and Health on
// the Unix socket named by HEDDLE_PLUGIN_SOCKET and the frame lane (§5.5) on
// that path + ".frames" (a warning and gRPC only when that socket cannot be
// created), prints the handshake line, then serves until Shutdown,
// end-of-file on stdin, SIGTERM or SIGINT. It returns the exit status (see
// Serve); start-up failures are explained on opts.Stderr. It panics when a
// component binds a resource kind that is not registered.
func (p *Plugin) Run(opts RunOptions) int {
	opts = opts.withDefaults()
	if got := opts.Getenv("HEDDLE_PLUGIN_COOKIE"); got != Cookie {
		fmt.Fprintf(opts.Stderr, "HEDDLE_COOKIE_MISMATCH: this program is the Heddle plugin %q and must be started by heddle-host "+
			"(for example: heddle-host describe <plugin-dir>), not run by hand; HEDDLE_PLUGIN_COOKIE is %s.\n",
			p.info.Namespace, map[bool]string{true: "missing", false: "wrong"}[got == ""])
		return ExitCookieMismatch
	}
	offered := opts.Getenv("HEDDLE_PLUGIN_PROTOCOL_VERSIONS")
	version := pickVersion(offered)
	if version == 0 {
		fmt.Fprintf(opts.Stderr, "HEDDLE_PROTOCOL_MISMATCH: the host offers protocol versions [%s] (HEDDLE_PLUGIN_PROTOCOL_VERSIONS), "+
			"this plugin's SDK (%s %s) speaks %v; upgrade the older of the two.\n", offered, SDKName, SDKVersion, supportedVersions)
		return ExitProtocolMismatch
	}
	socket := opts.Getenv("HEDDLE_PLUGIN_SOCKET")
	if socket == "" {
		fmt.Fprintln(opts.Stderr, "heddle: HEDDLE_PLUGIN_SOCKET is not set: the host must name the Unix socket to serve on")
		return ExitStartFailed
	}
	p.checkRequirements()
	p.serving.Store(true)

	log := Logger()
	if opts.Stderr != os.Stderr || opts.Getenv("HEDDLE_LOG_LEVEL") != os.Getenv("HEDDLE_LOG_LEVEL") {
		level, _ := ParseLevel(opts.Getenv("HEDDLE_LOG_LEVEL"))
		log = NewLogger(opts.Stderr, level)
	}

	stopCh := make(chan stopRequest, 1)
	stop := func(reason string, graceMs uint32) {
		select {
		case stopCh <- stopRequest{reason, time.Duration(graceMs) * time.Millisecond}:
		default: // already stopping: the first request wins
		}
	}
	shm, shmOff := newShmPlace(opts.Getenv("HEDDLE_SHM_DIR"))
	srv := newServer(p, version, log, stop, shm, shmOff)
	if !opts.NoSignals { // before the handshake line: a host may signal right after it
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
		defer signal.Stop(signals)
		go func() {
			if sig, ok := <-signals; ok {
				stop("received "+sig.String(), defaultGraceMs)
			}
		}()
	}

	if err := os.Remove(socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(opts.Stderr, "heddle: cannot remove the stale socket file %s: %v\n", socket, err)
		return ExitStartFailed
	}
	lis, err := net.Listen("unix", socket)
	if err != nil {
		fmt.Fprintf(opts.Stderr, "heddle: cannot listen on the Unix socket %s: %v\n", socket, err)
		return ExitStartFailed
	}
	gs := grpc.NewServer(grpc.MaxRecvMsgSize(maxMessageBytes), grpc.MaxSendMsgSize(maxMessageBytes), grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0))))
	pluginv1.RegisterPluginServiceServer(gs, srv)
	pluginv1.RegisterControllerServiceServer(gs, srv)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("plugin", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(gs, hs)

	// The frame lane listens before the handshake line too (a host that
	// negotiates "frames" connects right after the Handshake RPC), and before
	// gRPC serves, so Handshake sees srv.frames set.
	if frames, err := listenFrames(srv, socket+framesSocketSuffix); err != nil {
		log.Warn("serving without the frame lane (protocol §5.5)", "error", err.Error())
	} else {
		srv.frames = frames
		go frames.serve()
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- gs.Serve(lis) }()

	fmt.Fprintf(opts.Stdout, "HEDDLE|1|%d|unix|%s|grpc\n", version, socket)
	if f, ok := opts.Stdout.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}

	go func() { // end-of-file on stdin: the host is gone (§2.2 step 5)
		_, _ = io.Copy(io.Discard, opts.Stdin)
		stop("stdin reached end-of-file (the host is gone)", defaultGraceMs)
	}()

	status := ExitOK
	var req stopRequest
	select {
	case req = <-stopCh:
	case err := <-serveErr:
		log.Error("the gRPC server stopped", "error", fmt.Sprint(err))
		req, status = stopRequest{"the gRPC server stopped", 0}, ExitStartFailed
	}
	srv.shutdown(req, gs, hs, log)
	srv.workers.stop()
	_ = os.Remove(socket)
	return status
}

type stopRequest struct {
	reason string
	grace  time.Duration
}

// shutdown is protocol §11 step 1 on the plugin's side: refuse new calls, let
// in-flight ones finish within the grace, cancel the rest, close the frame
// connections and resources and stop the server.
func (s *server) shutdown(req stopRequest, gs *grpc.Server, hs *health.Server, log *slog.Logger) {
	log.Debug("shutting down", "reason", req.reason, "grace_ms", req.grace.Milliseconds())
	hs.Shutdown() // health answers NOT_SERVING from now on
	s.closeGate()
	s.frames.stop() // no new connections; new frames on open ones get PLUGIN_UNAVAILABLE
	if !waitFor(&s.inflight, req.grace) {
		s.calls.cancelAll(errShuttingDown)
		waitFor(&s.inflight, 250*time.Millisecond) // calls answer at once once cancelled
	}
	s.frames.closeConns(250 * time.Millisecond) // every admitted call's result is written by now
	s.closeAllResources()
	stopped := make(chan struct{})
	go func() { gs.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(500 * time.Millisecond): // e.g. a host still watching health
		gs.Stop()
	}
}

// waitFor waits for wg up to d and reports whether it finished.
func waitFor(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		return false
	}
}

// pickVersion returns the highest version in the comma list that this SDK
// speaks, or 0 when there is none.
func pickVersion(offered string) uint32 {
	var best uint32
	for _, field := range strings.Split(offered, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(field), 10, 32)
		if err != nil {
			continue
		}
		for _, s := range supportedVersions {
			if uint32(v) == s && s > best {
				best = s
			}
		}
	}
	return best
}
