//! Arrow IPC *stream* encoding and decoding, and cutting an encoded stream
//! into `TableChunk`-sized slices at message boundaries (protocol §5.2, §8).

use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use arrow_ipc::reader::StreamDecoder;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::Schema;
use bytes::Bytes;

use crate::core::errors::HeddleError;
use crate::core::table::Table;

/// The largest `TableChunk` the protocol allows (2 MiB).
pub const MAX_CHUNK_BYTES: usize = 2 * 1024 * 1024;

/// Record batches are re-sliced to about this many bytes before encoding so
/// that each IPC message fits in one chunk.
const TARGET_MESSAGE_BYTES: usize = 1024 * 1024;

/// Decodes one Arrow IPC stream. Buffers are shared with `bytes` (no copy)
/// when they are 8-byte aligned, as every Arrow writer aligns them.
/// Fails with `INVALID_INPUT` when the bytes are empty, truncated or not
/// Arrow IPC.
pub fn decode_stream(bytes: Bytes) -> Result<Table, HeddleError> {
    if bytes.is_empty() {
        return Err(HeddleError::invalid_input(
            "the input table is empty bytes, not an Arrow IPC stream: send a stream with at least a schema message",
        ));
    }
    let bad = |e: arrow_schema::ArrowError| {
        HeddleError::invalid_input(format!("the input is not a valid Arrow IPC stream: {e}"))
    };
    let mut buffer = Buffer::from(bytes);
    let mut decoder = StreamDecoder::new();
    let mut batches = Vec::new();
    while !buffer.is_empty() {
        if let Some(batch) = decoder.decode(&mut buffer).map_err(bad)? {
            batches.push(batch);
        }
    }
    decoder.finish().map_err(bad)?;
    let schema = decoder
        .schema()
        .ok_or_else(|| HeddleError::invalid_input("the Arrow IPC stream has no schema message"))?;
    Table::new(schema, batches).map_err(|e| HeddleError::invalid_input(e.message().to_string()))
}

/// Encodes a table as one Arrow IPC stream (schema, batches, end marker).
/// Fails with `INVALID_OUTPUT` when Arrow cannot encode a column type.
pub fn encode_stream(table: &Table) -> Result<Bytes, HeddleError> {
    let capacity = table
        .batches()
        .iter()
        .map(|b| b.get_array_memory_size())
        .sum::<usize>()
        + 1024;
    let mut writer = StreamWriter::try_new(Vec::with_capacity(capacity), table.schema())
        .map_err(cannot_encode)?;
    for batch in table.batches() {
        writer.write(batch).map_err(cannot_encode)?;
    }
    writer.finish().map_err(cannot_encode)?;
    Ok(Bytes::from(writer.into_inner().map_err(cannot_encode)?))
}

/// Encodes a table as an IPC stream already cut into chunks of at most
/// `max_chunk` bytes. Large batches are sliced by rows first so chunks end at
/// IPC message boundaries; a single message larger than `max_chunk` (one
/// enormous row) is cut mid-message, which receivers must accept anyway.
/// Fails with `INVALID_OUTPUT` when Arrow cannot encode a column type.
pub fn encode_chunks(table: &Table, max_chunk: usize) -> Result<Vec<Bytes>, HeddleError> {
    let max_chunk = max_chunk.max(1);
    let mut packer = ChunkPacker::new(max_chunk);
    let mut writer = StreamWriter::try_new(Vec::new(), table.schema()).map_err(cannot_encode)?;
    packer.push(std::mem::take(writer.get_mut()));
    let target = TARGET_MESSAGE_BYTES.min(max_chunk);
    for batch in table.batches() {
        for slice in slices_of(batch, target) {
            writer.write(&slice).map_err(cannot_encode)?;
            packer.push(std::mem::take(writer.get_mut()));
        }
    }
    writer.finish().map_err(cannot_encode)?;
    packer.push(std::mem::take(writer.get_mut()));
    Ok(packer.finish())
}

/// The schema alone as an IPC stream (how the manifest carries Arrow schemas).
/// Fails with `INVALID_OUTPUT` when Arrow cannot encode a field type.
pub fn encode_schema(schema: &Schema) -> Result<Bytes, HeddleError> {
    let mut writer = StreamWriter::try_new(Vec::new(), schema).map_err(cannot_encode)?;
    writer.finish().map_err(cannot_encode)?;
    Ok(Bytes::from(writer.into_inner().map_err(cannot_encode)?))
}

fn cannot_encode(e: arrow_schema::ArrowError) -> HeddleError {
    HeddleError::invalid_output(format!(
        "the output table cannot be encoded as Arrow IPC: {e}"
    ))
}

/// Zero-copy row slices of `batch` of roughly `target` bytes each.
fn slices_of(batch: &RecordBatch, target: usize) -> Vec<RecordBatch> {
    let rows = batch.num_rows();
    let size = batch.get_array_memory_size();
    if rows <= 1 || size <= target {
        return vec![batch.clone()];
    }
    let per_slice = ((rows as u128 * target as u128) / size as u128).max(1) as usize;
    (0..rows)
        .step_by(per_slice)
        .map(|start| batch.slice(start, per_slice.min(rows - start)))
        .collect()
}

/// Packs consecutive IPC messages into chunks of at most `max` bytes.
struct ChunkPacker {
    max: usize,
    current: Vec<u8>,
    done: Vec<Bytes>,
}

impl ChunkPacker {
    fn new(max: usize) -> Self {
        ChunkPacker {
            max,
            current: Vec::new(),
            done: Vec::new(),
        }
    }

    fn push(&mut self, message: Vec<u8>) {
        if message.is_empty() {
            return;
        }
        if self.current.len() + message.len() > self.max {
            self.flush();
        }
        if message.len() > self.max {
            let whole = Bytes::from(message);
            let mut start = 0;
            while start < whole.len() {
                let end = (start + self.max).min(whole.len());
                self.done.push(whole.slice(start..end));
                start = end;
            }
        } else if self.current.is_empty() {
            self.current = message;
        } else {
            self.current.extend_from_slice(&message);
        }
    }

    fn flush(&mut self) {
        if !self.current.is_empty() {
            self.done
                .push(Bytes::from(std::mem::take(&mut self.current)));
        }
    }

    fn finish(mut self) -> Vec<Bytes> {
        self.flush();
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Int64Array, StringArray};
    use std::sync::Arc;

    fn table(rows: i64) -> Table {
        let ids = Arc::new(Int64Array::from_iter_values(0..rows)) as ArrayRef;
        let labels = Arc::new(StringArray::from_iter_values(
            (0..rows).map(|i| format!("row-{i}")),
        )) as ArrayRef;
        Table::from_columns(vec![("id", ids), ("label", labels)]).unwrap()
    }

    #[test]
    fn round_trips_a_stream() {
        let original = table(5);
        let decoded = decode_stream(encode_stream(&original).unwrap()).unwrap();
        assert_eq!(decoded.num_rows(), 5);
        assert_eq!(decoded.schema(), original.schema());
        assert_eq!(decoded.to_batch().unwrap(), original.to_batch().unwrap());
    }

    #[test]
    fn chunks_stay_under_the_limit_and_reassemble() {
        let original = table(300_000);
        let chunks = encode_chunks(&original, MAX_CHUNK_BYTES).unwrap();
        assert!(chunks.len() > 2);
        assert!(chunks.iter().all(|c| c.len() <= MAX_CHUNK_BYTES));
        let joined: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
        let decoded = decode_stream(Bytes::from(joined)).unwrap();
        assert_eq!(decoded.to_batch().unwrap(), original.to_batch().unwrap());
    }

    #[test]
    fn tiny_chunk_limits_still_reassemble() {
        let original = table(50);
        let chunks = encode_chunks(&original, 100).unwrap();
        assert!(chunks.iter().all(|c| c.len() <= 100));
        let joined: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
        assert_eq!(decode_stream(Bytes::from(joined)).unwrap().num_rows(), 50);
    }

    #[test]
    fn garbage_is_invalid_input() {
        let err = decode_stream(Bytes::from_static(b"definitely not arrow")).unwrap_err();
        assert_eq!(
            err.code(),
            Some(crate::core::errors::ErrorCode::InvalidInput)
        );
        assert!(decode_stream(Bytes::new()).is_err());
    }

    #[test]
    fn schema_only_streams_decode_to_empty_tables() {
        let schema = table(1).schema().clone();
        let decoded = decode_stream(encode_schema(&schema).unwrap()).unwrap();
        assert_eq!(decoded.num_rows(), 0);
        assert_eq!(decoded.schema(), &schema);
    }
}
