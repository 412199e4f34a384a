//! The frame lane's wire format (protocol §5.5): the `HDLFRM01` preface, then
//! frames of a 24-byte prefix, one protobuf message (`InvokeHeader` in a call,
//! `InvokeResponse` in a result) and an Arrow IPC payload. Both ends use it:
//! the plugin's frame server and Rust hosts, tests and benchmarks.
//!
//! Reading puts a payload straight into one 8-aligned buffer of exactly
//! `payload_len` bytes, never zero-filled first and never gathered from
//! pieces, so Arrow decodes it in place. Writing sends a frame's prefix and
//! message from one small buffer and its payload from wherever it already
//! is, in one vectored write: a large payload is never copied to be framed.

use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use bytes::Bytes;
use prost::Message;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

/// Where a plugin's frame lane listens: its gRPC socket path
/// (`HEDDLE_PLUGIN_SOCKET`) + `.frames`.
pub fn socket_path(grpc_socket: &Path) -> PathBuf {
    let mut path = grpc_socket.as_os_str().to_owned();
    path.push(".frames");
    PathBuf::from(path)
}

/// What a host writes first on every connection (framing version 1).
pub const PREFACE: [u8; 8] = *b"HDLFRM01";

/// Bytes before a frame's message.
pub const PREFIX_LEN: usize = 24;

/// Payloads are shorter than this (2^53 bytes).
pub const PAYLOAD_LIMIT: u64 = 1 << 53;

/// What a frame carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Host → plugin: an `InvokeHeader` and the input.
    Call = 1,
    /// Plugin → host: an `InvokeResponse` and the output.
    Result = 2,
}

/// A frame's fixed-size prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix {
    /// Length of the protobuf message after the prefix.
    pub header_len: u32,
    /// Call or result.
    pub kind: Kind,
    /// The host's number of the call on its connection.
    pub call_no: u32,
    /// Length of the Arrow IPC payload after the message.
    pub payload_len: u64,
}

impl Prefix {
    /// The prefix's 24 bytes (little-endian, reserved bytes zero).
    pub fn to_bytes(&self) -> [u8; PREFIX_LEN] {
        let mut bytes = [0u8; PREFIX_LEN];
        bytes[0..4].copy_from_slice(&self.header_len.to_le_bytes());
        bytes[4] = self.kind as u8;
        bytes[8..12].copy_from_slice(&self.call_no.to_le_bytes());
        bytes[16..24].copy_from_slice(&self.payload_len.to_le_bytes());
        bytes
    }

    /// Parses a prefix. Fails with `InvalidData` (a malformed frame: the
    /// reader closes the connection) on an unknown kind, non-zero reserved
    /// bytes or a payload of 2^53 bytes or more.
    pub fn parse(bytes: &[u8; PREFIX_LEN]) -> io::Result<Prefix> {
        let word = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let kind = match bytes[4] {
            1 => Kind::Call,
            2 => Kind::Result,
            other => return Err(malformed(format!("unknown frame kind {other}"))),
        };
        if bytes[5..8] != [0, 0, 0] || bytes[12..16] != [0, 0, 0, 0] {
            return Err(malformed("non-zero reserved bytes in a frame prefix"));
        }
        let payload_len = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
        if payload_len >= PAYLOAD_LIMIT {
            return Err(malformed(format!(
                "a payload of {payload_len} bytes, over the 2^53 limit"
            )));
        }
        Ok(Prefix {
            header_len: word(0),
            kind,
            call_no: word(8),
            payload_len,
        })
    }
}

/// One frame as read: its call number, decoded message and payload.
#[derive(Debug)]
pub struct Frame<M> {
    /// The call this frame belongs to.
    pub call_no: u32,
    /// The `InvokeHeader` or `InvokeResponse`.
    pub message: M,
    /// The Arrow IPC payload (empty when there is none), 8-aligned.
    pub payload: Bytes,
}

/// A frame ready to write: prefix and message in one buffer, the payload
/// apart (not copied).
#[derive(Debug)]
pub struct OutFrame {
    head: Vec<u8>,
    payload: Bytes,
}

impl OutFrame {
    /// Frames `message` and `payload` as a frame of `kind` for `call_no`.
    /// Fails with `InvalidInput` when the message is 4 GiB or more or the
    /// payload 2^53 bytes or more.
    pub fn new(
        kind: Kind,
        call_no: u32,
        message: &impl Message,
        payload: Bytes,
    ) -> io::Result<Self> {
        let header_len = u32::try_from(message.encoded_len()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "a frame message of 4 GiB or more",
            )
        })?;
        let payload_len = payload.len() as u64;
        if payload_len >= PAYLOAD_LIMIT {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a frame payload of 2^53 bytes or more",
            ));
        }
        let prefix = Prefix {
            header_len,
            kind,
            call_no,
            payload_len,
        };
        let mut head = Vec::with_capacity(PREFIX_LEN + header_len as usize);
        head.extend_from_slice(&prefix.to_bytes());
        message
            .encode(&mut head)
            .expect("a Vec grows to fit the message");
        Ok(OutFrame { head, payload })
    }

    /// The frame's bytes in total.
    pub fn len(&self) -> usize {
        self.head.len() + self.payload.len()
    }

    /// Never true: a frame has at least its prefix.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Writes `frames` whole and in order with vectored writes (prefix and
/// message, then the payload where it is). Fails with the socket's error;
/// what was written of a frame is then unknown, so the connection is over.
pub async fn write_frames<W: AsyncWrite + Unpin>(
    writer: &mut W,
    frames: &[OutFrame],
) -> io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(frames.len() * 2);
    for frame in frames {
        slices.push(IoSlice::new(&frame.head));
        if !frame.payload.is_empty() {
            slices.push(IoSlice::new(&frame.payload));
        }
    }
    let mut rest = &mut slices[..];
    while !rest.is_empty() {
        // Linux takes at most 1024 slices a call (IOV_MAX); the rest follow.
        let take = rest.len().min(1024);
        let written = writer.write_vectored(&rest[..take]).await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut rest, written);
    }
    writer.flush().await
}

/// Reads one frame's prefix. `Ok(None)` when the peer closed the connection
/// cleanly before a new frame; `UnexpectedEof` when it closed inside one;
/// `InvalidData` on a malformed prefix ([`Prefix::parse`]).
pub async fn read_prefix<R: AsyncRead + Unpin>(reader: &mut R) -> io::Result<Option<Prefix>> {
    let mut bytes = [0u8; PREFIX_LEN];
    let mut filled = 0;
    while filled < PREFIX_LEN {
        match reader.read(&mut bytes[filled..]).await? {
            0 if filled == 0 => return Ok(None),
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => filled += n,
        }
    }
    Prefix::parse(&bytes).map(Some)
}

/// Reads and decodes the message of a frame whose prefix was `prefix`.
/// Fails with `InvalidData` when it does not decode as `M`, `OutOfMemory`
/// when its length cannot be allocated, or the socket's error.
pub async fn read_message<M: Message + Default, R: AsyncRead + Unpin>(
    reader: &mut R,
    prefix: &Prefix,
) -> io::Result<M> {
    let len = prefix.header_len as usize;
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(len).map_err(|_| {
        io::Error::new(
            io::ErrorKind::OutOfMemory,
            format!("cannot allocate a {len}-byte frame message"),
        )
    })?;
    bytes.resize(len, 0);
    reader.read_exact(&mut bytes).await?;
    // From `Bytes`, prost slices byte fields (an inline table) without a copy.
    M::decode(Bytes::from(bytes))
        .map_err(|e| malformed(format!("a frame message that does not decode: {e}")))
}

/// Reads a `len`-byte payload into one new buffer of exactly `len` bytes,
/// aligned to 8 (Arrow reads it in place) and not zero-filled first.
/// Fails with `OutOfMemory` before reading anything when it cannot be
/// allocated (then [`skip`] the payload to stay in step), `UnexpectedEof`
/// when the peer closes first, or the socket's error.
pub async fn read_payload<R: AsyncRead + Unpin>(reader: &mut R, len: u64) -> io::Result<Bytes> {
    if len == 0 {
        return Ok(Bytes::new());
    }
    let too_large = || {
        io::Error::new(
            io::ErrorKind::OutOfMemory,
            format!("cannot allocate a {len}-byte frame payload"),
        )
    };
    let len = usize::try_from(len).map_err(|_| too_large())?;
    let words = len.div_ceil(8);
    // u64 storage gives the 8-byte alignment whatever the allocator does.
    let mut storage: Vec<u64> = Vec::new();
    storage.try_reserve_exact(words).map_err(|_| too_large())?;
    let spare = storage.spare_capacity_mut();
    // The last word's bytes past `len` are never read from the socket:
    // zero it so every word is initialised.
    spare[words - 1].write(0);
    // SAFETY: `spare` is `words * 8 >= len` bytes of allocated memory that
    // nothing else references; viewed as bytes it is still uninitialised,
    // which `ReadBuf::uninit` tracks.
    let bytes = unsafe {
        std::slice::from_raw_parts_mut(spare.as_mut_ptr().cast::<MaybeUninit<u8>>(), len)
    };
    let mut buffer = ReadBuf::uninit(bytes);
    while buffer.remaining() > 0 {
        let before = buffer.filled().len();
        poll_fn(|cx| Pin::new(&mut *reader).poll_read(cx, &mut buffer)).await?;
        if buffer.filled().len() == before {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    // SAFETY: the reads filled bytes [0, len) and the last word was zeroed
    // before, so all `words` words are initialised.
    unsafe { storage.set_len(words) };
    Ok(Bytes::from_owner(Aligned { storage, len }))
}

/// Reads and drops `len` bytes (a payload that could not be allocated).
/// Fails with the socket's error or `UnexpectedEof`.
pub async fn skip<R: AsyncRead + Unpin>(reader: &mut R, len: u64) -> io::Result<()> {
    let copied = tokio::io::copy(&mut reader.take(len), &mut tokio::io::sink()).await?;
    if copied < len {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

/// Reads one whole frame of `kind` (a client reads results, the plugin
/// calls). `Ok(None)` at a clean end of the connection; `InvalidData` when
/// the frame is malformed or of the other kind; `OutOfMemory` when its
/// payload cannot be allocated.
pub async fn read_frame<M: Message + Default, R: AsyncRead + Unpin>(
    reader: &mut R,
    kind: Kind,
) -> io::Result<Option<Frame<M>>> {
    let Some(prefix) = read_prefix(reader).await? else {
        return Ok(None);
    };
    if prefix.kind != kind {
        return Err(malformed(format!(
            "a {:?} frame where only {kind:?} frames may come",
            prefix.kind
        )));
    }
    let message = read_message(reader, &prefix).await?;
    let payload = read_payload(reader, prefix.payload_len).await?;
    Ok(Some(Frame {
        call_no: prefix.call_no,
        message,
        payload,
    }))
}

/// A payload's storage: whole words, of which the first `len` bytes count.
struct Aligned {
    storage: Vec<u64>,
    len: usize,
}

impl AsRef<[u8]> for Aligned {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: the storage is `len.div_ceil(8)` initialised words, so its
        // first `len` bytes are initialised, and u8 has no alignment needs.
        unsafe { std::slice::from_raw_parts(self.storage.as_ptr().cast::<u8>(), self.len) }
    }
}

fn malformed(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

#[cfg(test)]
mod tests;
