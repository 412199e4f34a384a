//! The two halves of a frame connection, registered with the runtime's
//! poller for what each one waits for and nothing more.
//!
//! Why not `UnixStream::into_split`: tokio registers a socket for both
//! readability and writability, edge-triggered. Every time the host reads a
//! result, the kernel signals "writable" to this plugin's poller, which
//! wakes a sleeping worker thread for nothing, and the host's `read` pays
//! for that wake-up (an inter-processor interrupt, 10–15% of a small call's
//! host CPU on a 2-vCPU VM). Here the read half is registered for
//! readability only, and the write half writes straight to the socket,
//! registering for writability only while a write waits for room.

use std::io::{self, IoSlice, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};

/// Splits a connection (non-blocking) into its read and write halves,
/// registered with the current runtime. Fails when the socket cannot be
/// duplicated or registered (out of descriptors).
pub(crate) fn split(stream: StdUnixStream) -> io::Result<(LaneReader, LaneWriter)> {
    let writer = stream.try_clone()?;
    // Safety: the AsyncFd owns `stream`, so the descriptor stays open.
    let reader = unsafe { AsyncFd::register_with_interest(stream, Interest::READABLE) }?;
    Ok((
        LaneReader { fd: reader },
        LaneWriter {
            stream: writer,
            waiting: None,
        },
    ))
}

/// The read half: readability only.
pub(crate) struct LaneReader {
    fd: AsyncFd<StdUnixStream>,
}

impl AsyncRead for LaneReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.fd.poll_read_ready(cx))?;
            let unfilled = unsafe { buf.unfilled_mut() };
            // Straight into the caller's (possibly uninitialised) memory:
            // payload buffers are never zero-filled first.
            let read = guard.try_io(|fd| {
                let n = unsafe {
                    libc::read(fd.as_raw_fd(), unfilled.as_mut_ptr().cast(), unfilled.len())
                };
                if n < 0 {
                    Err(io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            });
            match read {
                Ok(Ok(n)) => {
                    unsafe { buf.assume_init(n) };
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(err)) if err.kind() == io::ErrorKind::Interrupted => continue,
                Ok(Err(err)) => return Poll::Ready(Err(err)),
                Err(_would_block) => continue,
            }
        }
    }
}

/// The write half: writes go straight to the socket; a write that finds
/// the socket full registers a duplicate descriptor for writability until
/// the next flush.
pub(crate) struct LaneWriter {
    stream: StdUnixStream,
    waiting: Option<AsyncFd<OwnedFd>>,
}

impl LaneWriter {
    /// Polls, without blocking, for the next frame from the host for up to
    /// `max` (see [`Spin`]); true when one is there.
    pub(crate) fn spin_until_readable(&self, max: Duration) -> bool {
        let start = Instant::now();
        let mut fd = libc::pollfd {
            fd: self.stream.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        while start.elapsed() < max {
            // Safety: one valid pollfd, zero timeout.
            if unsafe { libc::poll(&mut fd, 1, 0) } > 0 {
                return true;
            }
            std::hint::spin_loop();
        }
        false
    }

    fn poll_room(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.waiting.is_none() {
            let dup = self.stream.as_fd().try_clone_to_owned()?;
            // Safety: the AsyncFd owns `dup`, so the descriptor stays open.
            self.waiting =
                Some(unsafe { AsyncFd::register_with_interest(dup, Interest::WRITABLE) }?);
        }
        let waiting = self.waiting.as_ref().expect("registered above");
        let mut guard = ready!(waiting.poll_write_ready(cx))?;
        // Registration reports the current state, so room freed between the
        // full write and the registration is not missed.
        guard.clear_ready();
        Poll::Ready(Ok(()))
    }

    fn poll_with<T>(
        &mut self,
        cx: &mut Context<'_>,
        mut write: impl FnMut(&mut StdUnixStream) -> io::Result<T>,
    ) -> Poll<io::Result<T>> {
        loop {
            match write(&mut self.stream) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => ready!(self.poll_room(cx))?,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                done => return Poll::Ready(done),
            }
        }
    }
}

impl AsyncWrite for LaneWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_with(cx, |s| s.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_with(cx, |s| s.write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Everything written is with the kernel; stop waiting for room.
        self.get_mut().waiting = None;
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.waiting = None;
        Poll::Ready(this.stream.shutdown(std::net::Shutdown::Write))
    }
}

/// Spinning: while the host keeps a connection busy (results written less
/// than [`HOT_WITHIN`] apart), the writer, having sent a result, polls the
/// socket for the host's next call for up to the spin time
/// (`HEDDLE_FRAMES_SPIN_US`, default 50 µs, 0 turns it off) before letting
/// the worker sleep. A host that answers a result with its next call within
/// that time finds this thread running: its write wakes nobody, which on a
/// 2-vCPU VM saves an inter-processor interrupt per call on both sides. An
/// idle connection does not spin.
pub(crate) struct Spin {
    max: Duration,
    last_write: Option<Instant>,
}

/// How close two results must be for the connection to count as busy.
const HOT_WITHIN: Duration = Duration::from_micros(500);

impl Spin {
    /// The spin time from the environment.
    pub(crate) fn from_env() -> Self {
        let us = std::env::var("HEDDLE_FRAMES_SPIN_US")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(50);
        Spin {
            max: Duration::from_micros(us),
            last_write: None,
        }
    }

    /// Called after each write; true when the writer should wait for the
    /// next call by spinning (the caller then yields so the runtime reads it).
    pub(crate) fn after_write(&mut self, writer: &LaneWriter) -> bool {
        let now = Instant::now();
        let hot = self.last_write.is_some_and(|at| now - at < HOT_WITHIN);
        self.last_write = Some(now);
        !self.max.is_zero() && hot && writer.spin_until_readable(self.max)
    }
}
