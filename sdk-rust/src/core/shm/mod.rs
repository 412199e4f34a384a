//! Shared-memory tables (protocol §8): read a segment in place
//! ([`read_segment`]) and write an output into a new one ([`ShmDir::write`]).
//!
//! Consuming maps the segment file read-only with `memmap2` and decodes the
//! Arrow IPC file with `arrow_ipc::reader::FileDecoder` straight out of the
//! mapping: every column buffer of the resulting [`Table`](crate::Table)
//! points into the mapped pages, nothing is copied. The mapping is owned by
//! those buffers (reference-counted), so it is unmapped when the last one is
//! dropped — at the end of the call — and a stray reference can never read
//! unmapped memory.
//!
//! Producing writes the output once, as an Arrow IPC file with 64-byte
//! alignment, from the table's buffers straight into
//! `$HEDDLE_SHM_DIR/<pid>-<counter>.arrow`, closes it and hands it over: from
//! then on the host owns the file and unlinks it.

mod dir;
mod read;
mod write;

pub use dir::{ShmDir, SHM_DIR_VARIABLE};
pub use read::read_segment;
pub use write::ipc_stream_size;

/// A segment's IPC file starts at a multiple of this many bytes, and producers
/// align every buffer to it (protocol §8.1).
pub const SEGMENT_ALIGNMENT: usize = 64;

/// The magic at both ends of an Arrow IPC file.
pub const ARROW_MAGIC: &[u8; 6] = b"ARROW1";

#[cfg(test)]
mod tests;
