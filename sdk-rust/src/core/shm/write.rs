//! Producing a segment (protocol §8.2): write a table once, as a 64-byte
//! aligned Arrow IPC file, straight into a new file under `HEDDLE_SHM_DIR`.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;

use arrow_ipc::writer::{FileWriter, IpcWriteOptions, StreamWriter};
use arrow_ipc::MetadataVersion;

use super::dir::ShmDir;
use super::SEGMENT_ALIGNMENT;
use crate::core::errors::{ErrorCode, HeddleError};
use crate::core::table::Table;
use crate::proto::SharedMemoryRef;

impl ShmDir {
    /// Writes `table` into a new segment `<dir>/<pid>-<counter>.arrow` and
    /// returns its handle (offset 0). Column buffers go from the table to the
    /// file in one write each (no intermediate copy); the file is complete and
    /// closed on return, and from then on belongs to the host.
    ///
    /// Fails with `SHM_UNAVAILABLE` when the file cannot be created or written
    /// (directory gone, tmpfs full; the partial file is removed) and with
    /// `INVALID_OUTPUT` when Arrow cannot encode a column.
    pub fn write(&self, table: &Table) -> Result<SharedMemoryRef, HeddleError> {
        let segment_id = self.next_segment_id();
        let path = self.segment_path(&segment_id);
        let written = write_file(&path, table);
        let length = match written {
            Ok(length) => length,
            Err(err) => {
                let _ = std::fs::remove_file(&path);
                return Err(err);
            }
        };
        Ok(SharedMemoryRef {
            segment_id,
            path: path.to_string_lossy().into_owned(),
            offset: 0,
            length,
            num_rows: table.num_rows() as u64,
        })
    }
}

/// Writes the IPC file and returns its byte length.
fn write_file(path: &std::path::Path, table: &Table) -> Result<u64, HeddleError> {
    let io = |e: std::io::Error| {
        HeddleError::sdk(
            ErrorCode::ShmUnavailable,
            format!(
                "cannot write the output into shared-memory segment {}: {e}; check HEDDLE_SHM_DIR's free space (or lower the host's memory use)",
                path.display()
            ),
        )
    };
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    // BufWriter only gathers the small metadata pieces: buffers larger than
    // its capacity are written straight from the table to the file.
    let mut writer =
        FileWriter::try_new_with_options(BufWriter::new(file), table.schema(), options())
            .map_err(|e| encode_error(e, path))?;
    for batch in table.batches() {
        writer.write(batch).map_err(|e| encode_error(e, path))?;
    }
    writer.finish().map_err(|e| encode_error(e, path))?;
    let mut buffered: BufWriter<File> = writer.into_inner().map_err(|e| encode_error(e, path))?;
    buffered.flush().map_err(io)?;
    let file = buffered.into_inner().map_err(|e| io(e.into_error()))?;
    Ok(file.metadata().map_err(io)?.len())
}

/// 64-byte alignment of every buffer, current metadata, no compression.
fn options() -> IpcWriteOptions {
    IpcWriteOptions::try_new(SEGMENT_ALIGNMENT, false, MetadataVersion::V5)
        .expect("64 is a valid Arrow IPC alignment")
}

/// An encoding error is the step's output at fault, unless it is I/O.
fn encode_error(e: arrow_schema::ArrowError, path: &std::path::Path) -> HeddleError {
    let code = match e {
        arrow_schema::ArrowError::IoError(..) => ErrorCode::ShmUnavailable,
        _ => ErrorCode::InvalidOutput,
    };
    HeddleError::sdk(
        code,
        format!(
            "cannot write the output table into shared-memory segment {}: {e}",
            path.display()
        ),
    )
}

/// The byte length of `table` as one Arrow IPC stream (what an inline answer
/// would carry), measured without copying any column: the encoder hands each
/// buffer to a writer that only counts. Fails with `INVALID_OUTPUT` when Arrow
/// cannot encode a column.
pub fn ipc_stream_size(table: &Table) -> Result<u64, HeddleError> {
    let mut writer = StreamWriter::try_new(Counter(0), table.schema()).map_err(cannot_encode)?;
    for batch in table.batches() {
        writer.write(batch).map_err(cannot_encode)?;
    }
    writer.finish().map_err(cannot_encode)?;
    Ok(writer.into_inner().map_err(cannot_encode)?.0)
}

fn cannot_encode(e: arrow_schema::ArrowError) -> HeddleError {
    HeddleError::invalid_output(format!(
        "the output table cannot be encoded as Arrow IPC: {e}"
    ))
}

/// A writer that counts bytes and keeps none.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
