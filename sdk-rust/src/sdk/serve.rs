//! `serve`: the process side of the protocol (§2, §10, §11). Check the
//! cookie (exit 3) and the protocol version (exit 4), listen on the Unix
//! socket, serve the three services and the frame lane (§5.5), print the
//! handshake line, and shut down gracefully on `Shutdown`, SIGTERM/SIGINT or
//! stdin end-of-file.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UnixListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio::time::Instant;
use tokio_stream::wrappers::UnixListenerStream;
use tonic::transport::Server;
use tonic_health::ServingStatus;

use crate::core::logger::Logger;
use crate::core::panics;
use crate::core::shm::ShmDir;
use crate::proto::controller_service_server::ControllerServiceServer;
use crate::proto::plugin_service_server::PluginServiceServer;
use crate::sdk::controller::Controller;
use crate::sdk::frame_server::FrameServer;
use crate::sdk::frames;
use crate::sdk::handshake::{self, EXIT_COOKIE_MISMATCH, EXIT_PROTOCOL_MISMATCH};
use crate::sdk::lifecycle::Lifecycle;
use crate::sdk::options::ServeOptions;
use crate::sdk::plugin::Plugin;
use crate::sdk::servicer::Servicer;
use crate::sdk::state::State;

/// Exit status for a start that failed for another reason (no socket path,
/// cannot listen, broken plugin definition).
pub const EXIT_START_FAILED: i32 = 1;

/// The health service names the host checks (protocol §10).
const HEALTH_SERVICES: [&str; 2] = ["", "plugin"];

impl Plugin {
    /// Serves the plugin as the host expects and exits the process when done:
    /// status 0 after a graceful shutdown, 3 on a wrong cookie, 4 when no
    /// protocol version is shared, 1 when it cannot start (the reason is
    /// written to stderr). Call it last in `main`.
    pub fn serve(self) -> ! {
        let code = self.serve_with(ServeOptions::from_env());
        std::process::exit(code)
    }

    /// Like [`serve`](Self::serve) but returns the exit status instead of
    /// exiting, with explicit options.
    pub fn serve_with(self, options: ServeOptions) -> i32 {
        panics::install_hook();
        if options.cookie.as_deref() != Some(handshake::COOKIE) {
            eprintln!("{}", handshake::cookie_message());
            return EXIT_COOKIE_MISMATCH;
        }
        let offered = handshake::parse_versions(&options.protocol_versions);
        let Some(version) = handshake::pick_version(&offered) else {
            eprintln!(
                "{}",
                handshake::protocol_message(&options.protocol_versions)
            );
            return EXIT_PROTOCOL_MISMATCH;
        };
        let Some(socket) = options.socket.clone() else {
            eprintln!("HEDDLE_PLUGIN_SOCKET is not set: the host must say where the plugin listens. Run the plugin through heddle-host.");
            return EXIT_START_FAILED;
        };
        let problems = self.problems();
        if !problems.is_empty() {
            eprintln!(
                "the plugin {:?} is not usable:\n  {}",
                self.namespace(),
                problems.join("\n  ")
            );
            return EXIT_START_FAILED;
        }
        let manifest = match self.manifest() {
            Ok(manifest) => manifest,
            Err(err) => {
                eprintln!(
                    "the plugin {:?} has a manifest that cannot be encoded: {err}",
                    self.namespace()
                );
                return EXIT_START_FAILED;
            }
        };
        // The host adds the plugin's name when it re-emits each line.
        let logger = Logger::new();
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(err) => {
                eprintln!("cannot start the async runtime: {err}");
                return EXIT_START_FAILED;
            }
        };
        let shm = options.shm_dir.as_deref().and_then(ShmDir::usable);
        let state = State::new(self, manifest, logger, shm);
        let code = runtime.block_on(run(state, &socket, version, &options));
        // Steps still running past the grace period must not hold the exit.
        runtime.shutdown_timeout(Duration::from_millis(100));
        let _ = std::fs::remove_file(&socket);
        let _ = std::fs::remove_file(frames::socket_path(&socket));
        code
    }
}

async fn run(state: Arc<State>, socket: &Path, version: u32, options: &ServeOptions) -> i32 {
    let _ = std::fs::remove_file(socket);
    let listener = match UnixListener::bind(socket) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("cannot listen on {}: {err}", socket.display());
            return EXIT_START_FAILED;
        }
    };
    let (health, health_service) = tonic_health::server::health_reporter();
    for name in HEALTH_SERVICES {
        health
            .set_service_status(name, ServingStatus::Serving)
            .await;
    }
    let limit = options.max_message_bytes;
    let plugin_service = PluginServiceServer::new(Servicer {
        state: state.clone(),
    })
    .max_decoding_message_size(limit)
    .max_encoding_message_size(limit);
    let controller_service = ControllerServiceServer::new(Controller {
        state: state.clone(),
    })
    .max_decoding_message_size(limit)
    .max_encoding_message_size(limit);
    // The frame lane listens before the handshake line too (protocol §5.5);
    // without it the plugin serves everything over gRPC and does not offer
    // `frames`.
    let frames = match FrameServer::start(&state, frames::socket_path(socket)) {
        Ok(frames) => {
            state.frames.store(true, Ordering::Release);
            Some(frames)
        }
        Err(err) => {
            state.logger.warn(&format!(
                "cannot listen on {} ({err}); calls will come over gRPC only",
                frames::socket_path(socket).display()
            ));
            None
        }
    };
    let lifecycle = state.lifecycle.clone();
    let server = Server::builder()
        .add_service(health_service)
        .add_service(plugin_service)
        .add_service(controller_service)
        .serve_with_incoming_shutdown(UnixListenerStream::new(listener), async move {
            lifecycle.stop_requested().await;
        });
    let server = tokio::spawn(server);

    // Watch for the end before announcing: a host may stop the plugin the
    // moment it has read the handshake line.
    if options.watch_stdin {
        watch_stdin(
            state.lifecycle.clone(),
            options.default_grace,
            state.logger.clone(),
        );
    }
    watch_signals(
        state.lifecycle.clone(),
        options.default_grace,
        state.logger.clone(),
    );
    if let Err(err) = announce(version, socket) {
        eprintln!("cannot write the handshake line to stdout: {err}");
        return EXIT_START_FAILED;
    }
    state
        .logger
        .with("socket", socket.display().to_string())
        .debug("serving");

    let grace = state.lifecycle.stop_requested().await;
    for name in HEALTH_SERVICES {
        health
            .set_service_status(name, ServingStatus::NotServing)
            .await;
    }
    let until = Instant::now() + grace;
    if !state.lifecycle.wait_idle(until).await {
        state.logger.warn("the shutdown grace period is over with calls still running; cancelling them and exiting");
        state.calls.cancel_all("the plugin is shutting down");
    }
    // Let the server finish answering (the Shutdown reply included), and
    // the frame lane send the results still queued, then close.
    let finish = Duration::from_millis(500);
    let lane = async {
        if let Some(frames) = frames {
            frames.close(finish).await;
        }
    };
    let _ = tokio::join!(tokio::time::timeout(finish, server), lane);
    state.close_all_resources();
    0
}

/// Prints the one handshake line and flushes it.
fn announce(version: u32, socket: &Path) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "{}",
        handshake::handshake_line(version, &socket.display().to_string())
    )?;
    stdout.flush()
}

/// Stdin reaching end-of-file means the host is gone: shut down.
fn watch_stdin(lifecycle: Arc<Lifecycle>, grace: Duration, logger: Logger) {
    let spawned = std::thread::Builder::new()
        .name("heddle-stdin".into())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buffer = [0u8; 4096];
            loop {
                match stdin.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(_) => continue,
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
            if lifecycle.request_stop(grace) {
                logger.info("stdin closed: the host is gone, shutting down");
            }
        });
    if let Err(err) = spawned {
        eprintln!("cannot watch stdin ({err}); the plugin will not notice if the host dies");
    }
}

/// SIGTERM and SIGINT shut down like `Shutdown` with the default grace.
fn watch_signals(lifecycle: Arc<Lifecycle>, grace: Duration, logger: Logger) {
    let (Ok(mut term), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        logger.warn("cannot install SIGTERM/SIGINT handlers; signals will end the plugin abruptly");
        return;
    };
    tokio::spawn(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        };
        if lifecycle.request_stop(grace) {
            logger
                .with("signal", name)
                .info("signal received, shutting down");
        }
    });
}
