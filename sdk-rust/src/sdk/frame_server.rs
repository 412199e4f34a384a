//! The frame lane's listener and connections (protocol §5.5).
//!
//! Each connection has a thread of its own with a single-threaded runtime
//! (see [`open`]). A reader task checks the preface, reads frames (payloads
//! straight into one aligned buffer each) and starts one task per call, so a
//! slow step never holds up the reading of the next frame; a writer task
//! sends the results in the order they are ready, several at a time in one
//! vectored write when they queue up. A malformed frame closes the
//! connection at once: the calls in flight on it are then cancelled, as
//! calls whose gRPC stream the host dropped are.

use std::io;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::core::errors::HeddleError;
use crate::core::logger::Logger;
use crate::proto::{data_ref, InvokeHeader};
use crate::sdk::frame_call::{self, CallFrame};
use crate::sdk::frame_socket::{self, LaneReader, LaneWriter, Spin};
use crate::sdk::frames::{self, Kind, OutFrame, PREFACE};
use crate::sdk::state::State;

/// Read-ahead per connection: a small call (prefix, header and a 1-row
/// table) arrives in one read; a large payload bypasses it.
const READ_BUFFER: usize = 64 * 1024;

/// Results written together at most, when several are ready at once.
const MAX_BATCH: usize = 64;

/// The running frame lane.
pub(crate) struct FrameServer {
    path: PathBuf,
    /// Cancelled when the connections must end (after the grace period).
    closing: CancellationToken,
    /// Yields `None` once the accept loop and every connection task ended.
    finished: mpsc::Receiver<()>,
}

impl FrameServer {
    /// Removes a stale file at `path`, listens there and serves connections
    /// until a shutdown is requested (then it stops accepting and removes
    /// the file). Must run inside the runtime. Fails when it cannot listen.
    pub(crate) fn start(state: &Arc<State>, path: PathBuf) -> io::Result<FrameServer> {
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path)?;
        let closing = CancellationToken::new();
        let (alive, finished) = mpsc::channel(1);
        tokio::spawn(accept(
            state.clone(),
            listener,
            path.clone(),
            closing.clone(),
            alive,
        ));
        Ok(FrameServer {
            path,
            closing,
            finished,
        })
    }

    /// Ends the lane once the calls in flight are done (or the grace period
    /// is over): stops reading frames, lets each writer send the results
    /// still coming, and waits up to `within` for every connection to close.
    pub(crate) async fn close(mut self, within: Duration) {
        self.closing.cancel();
        let _ = tokio::time::timeout(within, self.finished.recv()).await;
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Accepts connections until a shutdown is requested. Every task it starts
/// holds a clone of `alive`, so `FrameServer::close` sees when all ended.
async fn accept(
    state: Arc<State>,
    listener: UnixListener,
    path: PathBuf,
    closing: CancellationToken,
    alive: mpsc::Sender<()>,
) {
    let stop = state.lifecycle.stop_requested();
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stop => break,
            _ = closing.cancelled() => break,
        };
        match accepted {
            Ok((stream, _)) => open(&state, stream, &closing, &alive),
            Err(err) => {
                // Out of file descriptors, usually: wait instead of spinning.
                state
                    .logger
                    .warn(&format!("the frame lane cannot accept a connection: {err}"));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    let _ = std::fs::remove_file(&path);
}

/// Serves a connection on a thread of its own with a single-threaded
/// runtime: the thread that waits for the host's next frame is the one that
/// reads it, runs a quick call and writes the result (and spins while the
/// host keeps the connection busy, see [`Spin`]); on a 2-vCPU machine each
/// hand-off to another thread cost an inter-processor interrupt. Other
/// calls run on the server's runtime (`main`).
fn open(
    state: &Arc<State>,
    stream: UnixStream,
    closing: &CancellationToken,
    alive: &mpsc::Sender<()>,
) {
    let main = Handle::current();
    let (state, closing, alive) = (state.clone(), closing.clone(), alive.clone());
    let logger = state.logger.with("lane", "frames");
    let warn = logger.clone();
    let serve = move || -> io::Result<()> {
        let stream = stream.into_std()?; // leaves the server's poller
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(serve_connection(state, stream, closing, alive, main))
    };
    let spawned = std::thread::Builder::new()
        .name("heddle-frames".into())
        .spawn(move || {
            if let Err(err) = serve() {
                // The host's connect succeeded but nothing will answer: it
                // sees the connection close and goes on over gRPC.
                warn.warn(&format!("the frame lane cannot serve a connection: {err}"));
            }
        });
    if let Err(err) = spawned {
        logger.warn(&format!("the frame lane cannot serve a connection: {err}"));
    }
}

/// Runs a connection's reader and writer until both end.
async fn serve_connection(
    state: Arc<State>,
    stream: StdUnixStream,
    closing: CancellationToken,
    alive: mpsc::Sender<()>,
    main: Handle,
) -> io::Result<()> {
    let logger = state.logger.with("lane", "frames");
    let (read, write) = frame_socket::split(stream)?;
    let (results, queue) = mpsc::unbounded_channel();
    // Cancelled when the connection must close at once (a malformed frame,
    // a broken socket). The end of the lane only stops the reader: the
    // writer still sends the results of the calls that were let finish.
    let broken = CancellationToken::new();
    logger.debug("frame connection opened");
    let writer = tokio::spawn(write_results(
        write,
        queue,
        broken.clone(),
        logger.clone(),
        alive.clone(),
    ));
    read_calls(
        Lane { state, main },
        read,
        results,
        Ends { closing, broken },
        logger,
        alive,
    )
    .await;
    let _ = writer.await;
    Ok(())
}

/// Where a connection's calls run.
struct Lane {
    state: Arc<State>,
    /// The server's runtime, for calls that are not known to be quick.
    main: Handle,
}

impl Lane {
    /// Starts a call: on this thread when every step it names answered
    /// quickly of late and its input is small, else on the server's runtime.
    fn dispatch(&self, call: CallFrame, results: &mpsc::UnboundedSender<OutFrame>) {
        let quick = self.quick(&call);
        let serve = frame_call::serve(self.state.clone(), call, results.clone());
        if quick {
            tokio::spawn(serve);
        } else {
            self.main.spawn(serve);
        }
    }

    fn quick(&self, call: &CallFrame) -> bool {
        let small = matches!(&call.payload, Ok(p) if p.len() <= SMALL_PAYLOAD);
        let by_handle = matches!(
            call.header.input.as_ref().and_then(|d| d.kind.as_ref()),
            Some(data_ref::Kind::Shm(_))
        );
        let trusted = |name: &str| {
            let def = self.state.plugin.find_step(name);
            def.and_then(|d| d.pace.as_ref())
                .is_some_and(|p| p.trusted())
        };
        small
            && !by_handle
            && trusted(&call.header.step)
            && call.header.then.iter().all(|stage| trusted(&stage.step))
    }
}

/// Payloads up to this size may run on the connection's thread.
const SMALL_PAYLOAD: usize = 64 * 1024;

/// What ends a connection's reading.
struct Ends {
    /// The lane closes (after the grace period of a shutdown).
    closing: CancellationToken,
    /// The connection broke (here or in the writer).
    broken: CancellationToken,
}

/// The reader task: reads until the host closes the connection, the lane
/// ends or the connection breaks; any error breaks the connection.
async fn read_calls(
    lane: Lane,
    read: LaneReader,
    results: mpsc::UnboundedSender<OutFrame>,
    ends: Ends,
    logger: Logger,
    _alive: mpsc::Sender<()>,
) {
    let Ends { closing, broken } = ends;
    let mut reader = BufReader::with_capacity(READ_BUFFER, read);
    let outcome = tokio::select! {
        outcome = read_loop(&lane, &mut reader, &results) => outcome,
        // The lane ends: the writer sends what is left, then closes.
        _ = closing.cancelled() => return,
        _ = broken.cancelled() => return,
    };
    match outcome {
        Ok(()) => logger.debug("frame connection closed by the host"),
        Err(err)
            if matches!(
                err.kind(),
                io::ErrorKind::InvalidData | io::ErrorKind::OutOfMemory
            ) =>
        {
            logger.warn(&format!("closing a frame connection: {err}"));
            broken.cancel();
        }
        Err(err) => {
            logger.debug(&format!("frame connection lost: {err}"));
            broken.cancel();
        }
    }
}

/// Checks the preface, then reads call frames and starts each call. Returns
/// at a clean end of the connection; fails with `InvalidData` on a wrong
/// preface or a malformed frame, or with the socket's error.
async fn read_loop(
    lane: &Lane,
    reader: &mut BufReader<LaneReader>,
    results: &mpsc::UnboundedSender<OutFrame>,
) -> io::Result<()> {
    let mut preface = [0u8; PREFACE.len()];
    reader.read_exact(&mut preface).await?;
    if preface != PREFACE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "the connection did not start with the preface {:?} (got {:?})",
                String::from_utf8_lossy(&PREFACE),
                String::from_utf8_lossy(&preface)
            ),
        ));
    }
    while let Some(prefix) = frames::read_prefix(reader).await? {
        let received = Instant::now();
        if prefix.kind != Kind::Call {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a result frame came from the host, which sends only call frames",
            ));
        }
        let header: InvokeHeader = frames::read_message(reader, &prefix).await?;
        let payload = match frames::read_payload(reader, prefix.payload_len).await {
            Ok(payload) => Ok(payload),
            Err(err) if err.kind() == io::ErrorKind::OutOfMemory => {
                frames::skip(reader, prefix.payload_len).await?;
                Err(HeddleError::invalid_input(format!(
                    "the input cannot be held in memory here ({err}); pass it by shared-memory handle or in smaller calls"
                )))
            }
            Err(err) => return Err(err),
        };
        let call = CallFrame {
            call_no: prefix.call_no,
            header,
            payload,
            received,
        };
        lane.dispatch(call, results);
    }
    Ok(())
}

/// The writer task: sends result frames whole as the calls finish, until
/// every call and the reader are done or the connection breaks.
async fn write_results(
    mut write: LaneWriter,
    mut queue: mpsc::UnboundedReceiver<OutFrame>,
    broken: CancellationToken,
    logger: Logger,
    _alive: mpsc::Sender<()>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut spin = Spin::from_env();
    loop {
        let received = tokio::select! {
            received = queue.recv_many(&mut batch, MAX_BATCH) => received,
            _ = broken.cancelled() => 0,
        };
        if received == 0 {
            break;
        }
        let written = tokio::select! {
            written = frames::write_frames(&mut write, &batch) => written,
            _ = broken.cancelled() => break,
        };
        if let Err(err) = written {
            logger.debug(&format!("frame connection lost while writing: {err}"));
            broken.cancel();
            break;
        }
        batch.clear();
        if queue.is_empty() && spin.after_write(&write) {
            // The next call is there: let the runtime poll its driver and
            // run the reader (yield_now defers this task until it has).
            tokio::task::yield_now().await;
        }
    }
    // Dropping the queue makes calls still running see the connection gone.
    drop(queue);
    let _ = write.shutdown().await;
}
