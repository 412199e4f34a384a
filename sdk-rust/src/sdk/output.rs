//! Turns what a step returned into what goes on the wire: a shared-memory
//! segment (large outputs when the host asked for it), one inline IPC
//! stream (unary) or ≤ 2 MiB chunks (streams), checking it is a table.

use bytes::Bytes;

use crate::core::errors::HeddleError;
use crate::core::ipc;
use crate::core::shm::{self, ShmDir};
use crate::core::step::Output;
use crate::core::table::Table;
use crate::proto::SharedMemoryRef;

/// Writes `output` into a new segment when the host asked for outputs by
/// handle (`threshold` > 0, from `InvokeHeader.shm_output_threshold`), this
/// plugin has a shared-memory directory, and the output's IPC size is at
/// least `threshold`; otherwise gives `output` back untouched to go on the
/// wire. Fails with `INVALID_OUTPUT` (not a table) or `SHM_UNAVAILABLE`
/// (the segment could not be written).
pub(crate) fn to_segment(
    output: Output,
    threshold: u64,
    dir: Option<&ShmDir>,
    component: &str,
) -> Result<Result<SharedMemoryRef, Output>, HeddleError> {
    let Some(dir) = dir.filter(|_| threshold > 0) else {
        return Ok(Err(output));
    };
    let table = match &output {
        Output::Nothing => return Ok(Err(output)),
        Output::Table(table) if shm::ipc_stream_size(table)? >= threshold => table.clone(),
        Output::Ipc(bytes) if bytes.len() as u64 >= threshold => check_ipc(bytes, component)?,
        _ => return Ok(Err(output)),
    };
    // Writing a large table is blocking I/O: keep it off the runtime's
    // other tasks, as blocking steps are.
    let write = || dir.write(&table).map(Ok);
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) if runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(write)
        }
        _ => write(),
    }
}

/// An encoded output.
pub(crate) struct Encoded {
    /// The IPC stream, whole (unary) or in chunks (streamed).
    pub(crate) parts: Vec<Bytes>,
    pub(crate) rows: u64,
    pub(crate) bytes: u64,
}

/// Encodes `output` as one IPC stream no larger than `limit` bytes, or
/// `None` for a sink. Fails with `INVALID_OUTPUT` when the output is not a
/// valid table or is larger than `limit` (the message says to stream).
pub(crate) fn encode_inline(
    output: Output,
    limit: usize,
    component: &str,
) -> Result<Option<Encoded>, HeddleError> {
    let encoded = encode_whole(output, component)?;
    if let Some(encoded) = &encoded {
        if encoded.bytes > limit as u64 {
            return Err(HeddleError::invalid_output(format!(
                "{component} returned {} bytes of Arrow IPC, over the {} MiB limit of a unary Invoke: call the step with InvokeStream (the host does when streaming is negotiated)",
                encoded.bytes,
                limit / (1024 * 1024)
            )));
        }
    }
    Ok(encoded)
}

/// Encodes `output` as one IPC stream of any size (one part), or `None` for
/// a sink: what a frame-lane result carries as its payload. IPC bytes the
/// step returned are checked and passed on as they are (no copy). Fails with
/// `INVALID_OUTPUT` when the output is not a valid table.
pub(crate) fn encode_whole(
    output: Output,
    component: &str,
) -> Result<Option<Encoded>, HeddleError> {
    let (ipc, rows) = match output {
        Output::Nothing => return Ok(None),
        Output::Table(table) => (table.to_ipc()?, table.num_rows() as u64),
        Output::Ipc(bytes) => {
            let rows = check_ipc(&bytes, component)?.num_rows() as u64;
            (bytes, rows)
        }
    };
    let bytes = ipc.len() as u64;
    Ok(Some(Encoded {
        parts: vec![ipc],
        rows,
        bytes,
    }))
}

/// Encodes `output` as IPC chunks of at most 2 MiB, or `None` for a sink.
/// Fails with `INVALID_OUTPUT` when the output is not a valid table.
pub(crate) fn encode_chunked(
    output: Output,
    component: &str,
) -> Result<Option<Encoded>, HeddleError> {
    let (parts, rows) = match output {
        Output::Nothing => return Ok(None),
        Output::Table(table) => (
            ipc::encode_chunks(&table, ipc::MAX_CHUNK_BYTES)?,
            table.num_rows() as u64,
        ),
        Output::Ipc(bytes) => {
            let rows = check_ipc(&bytes, component)?.num_rows() as u64;
            let parts = (0..bytes.len())
                .step_by(ipc::MAX_CHUNK_BYTES)
                .map(|start| bytes.slice(start..(start + ipc::MAX_CHUNK_BYTES).min(bytes.len())))
                .collect();
            (parts, rows)
        }
    };
    let bytes = parts.iter().map(|p| p.len() as u64).sum();
    Ok(Some(Encoded { parts, rows, bytes }))
}

/// Checks that raw bytes a step returned are an Arrow IPC stream and decodes
/// it (no copy). Fails with `INVALID_OUTPUT`.
fn check_ipc(bytes: &Bytes, component: &str) -> Result<Table, HeddleError> {
    ipc::decode_stream(bytes.clone()).map_err(|e| {
        HeddleError::invalid_output(format!(
            "{component} returned something that is not a table: {}; return a Table or valid Arrow IPC stream bytes",
            e.message()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::errors::ErrorCode;
    use crate::core::table::Table;
    use arrow_array::{ArrayRef, Int64Array};
    use std::sync::Arc;

    fn table(rows: i64) -> Table {
        Table::from_columns(vec![(
            "id",
            Arc::new(Int64Array::from_iter_values(0..rows)) as ArrayRef,
        )])
        .unwrap()
    }

    #[test]
    fn garbage_bytes_are_invalid_output() {
        let err = encode_inline(Output::Ipc(Bytes::from_static(b"nope")), 1 << 20, "x.bad")
            .err()
            .unwrap();
        assert_eq!(err.code(), Some(ErrorCode::InvalidOutput));
        assert!(err.message().contains("not a table"));
    }

    #[test]
    fn oversized_unary_outputs_say_to_stream() {
        let err = encode_inline(Output::Table(table(1000)), 100, "x.big")
            .err()
            .unwrap();
        assert!(err.message().contains("InvokeStream"), "{}", err.message());
        let ok = encode_inline(Output::Table(table(3)), 1 << 20, "x")
            .unwrap()
            .unwrap();
        assert_eq!(ok.rows, 3);
        assert!(encode_inline(Output::Nothing, 1, "x").unwrap().is_none());
    }

    #[test]
    fn ipc_bytes_pass_through_in_chunks() {
        let ipc = table(10).to_ipc().unwrap();
        let encoded = encode_chunked(Output::Ipc(ipc.clone()), "x")
            .unwrap()
            .unwrap();
        assert_eq!(encoded.rows, 10);
        assert_eq!(encoded.parts.concat(), ipc.to_vec());
    }
}
