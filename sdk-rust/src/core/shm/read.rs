//! Consuming a segment (protocol §8.3): map `[offset, offset+length)` of the
//! file read-only and decode its Arrow IPC file in place.

use std::fs::File;
use std::io::ErrorKind;
use std::ptr::NonNull;
use std::sync::Arc;

use arrow_buffer::Buffer;
use arrow_ipc::convert::try_fb_to_schema;
use arrow_ipc::reader::{read_footer_length, FileDecoder};
use arrow_ipc::root_as_footer;
use memmap2::{Mmap, MmapOptions};

use super::{ARROW_MAGIC, SEGMENT_ALIGNMENT};
use crate::core::errors::{ErrorCode, HeddleError};
use crate::core::panics;
use crate::core::table::Table;
use crate::proto::SharedMemoryRef;

/// The smallest Arrow IPC file: leading magic and padding, footer length,
/// trailing magic.
const MIN_FILE_BYTES: u64 = 8 + 4 + 6;

/// Maps the segment `segment` names and reads its table without copying:
/// the table's buffers point into the read-only mapping, which lives exactly
/// as long as they do.
///
/// Fails with `SEGMENT_NOT_FOUND` when the file does not exist,
/// `SHM_UNAVAILABLE` when it cannot be opened or mapped here, and
/// `SEGMENT_INVALID` when the offset is not a multiple of 64, the file is
/// shorter than `offset + length`, the bytes do not start and end with
/// `ARROW1`, or they do not decode as an Arrow IPC file.
pub fn read_segment(segment: &SharedMemoryRef) -> Result<Table, HeddleError> {
    check_shape(segment)?;
    let file = File::open(&segment.path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => HeddleError::sdk(
            ErrorCode::SegmentNotFound,
            format!(
                "shared-memory segment {:?} does not exist at {}: it was freed or never created; produce the table again",
                segment.segment_id, segment.path
            ),
        ),
        _ => unavailable(segment, &e),
    })?;
    let size = file.metadata().map_err(|e| unavailable(segment, &e))?.len();
    let end = segment.offset.saturating_add(segment.length);
    if size < end {
        return Err(invalid(
            segment,
            &format!("is truncated: the file has {size} bytes, the handle needs {end}"),
        ));
    }
    // SAFETY: the mapping is read-only and segments are immutable once handed
    // over (protocol §8.2: the producer never writes to it again, the host only
    // unlinks it, which keeps mapped pages valid).
    let mapping = unsafe {
        MmapOptions::new()
            .offset(segment.offset)
            .len(segment.length as usize)
            .map(&file)
    }
    .map_err(|e| unavailable(segment, &e))?;
    // arrow-ipc asserts (panics) on some lying buffer offsets instead of
    // returning an error: a bad segment must never take the plugin down.
    panics::catch(|| decode(mapping, segment)).map_err(|e| match e.code() {
        Some(_) => e,
        None => invalid(
            segment,
            &format!("is not a decodable Arrow IPC file ({})", e.message()),
        ),
    })
}

/// Checks the handle itself before touching the file.
fn check_shape(segment: &SharedMemoryRef) -> Result<(), HeddleError> {
    if segment.offset % SEGMENT_ALIGNMENT as u64 != 0 {
        return Err(invalid(
            segment,
            &format!(
                "starts at offset {}, which is not a multiple of {SEGMENT_ALIGNMENT}",
                segment.offset
            ),
        ));
    }
    if segment.length < MIN_FILE_BYTES || usize::try_from(segment.length).is_err() {
        return Err(invalid(
            segment,
            &format!(
                "is {} bytes long, too short for an Arrow IPC file",
                segment.length
            ),
        ));
    }
    Ok(())
}

/// Decodes the IPC file in `mapping` into record batches whose buffers are
/// slices of it (`FileDecoder` copies only a buffer misaligned for its type,
/// which 8- and 64-byte aligned producers never write for ≤ 8-byte types).
fn decode(mapping: Mmap, segment: &SharedMemoryRef) -> Result<Table, HeddleError> {
    let buffer = whole_mapping(mapping);
    let bytes: &[u8] = buffer.as_slice();
    let len = bytes.len();
    if &bytes[..ARROW_MAGIC.len()] != ARROW_MAGIC {
        return Err(invalid(
            segment,
            "does not start with the ARROW1 magic of an Arrow IPC file",
        ));
    }
    let trailer: [u8; 10] = bytes[len - 10..]
        .try_into()
        .map_err(|_| invalid(segment, "has no footer"))?;
    let footer_len = read_footer_length(trailer).map_err(|_| {
        invalid(
            segment,
            "does not end with the ARROW1 magic (truncated, or a wrong length)",
        )
    })?;
    let bad = |e: arrow_schema::ArrowError| {
        invalid(segment, &format!("is not a decodable Arrow IPC file ({e})"))
    };
    let footer_start = (len - 10)
        .checked_sub(footer_len)
        .filter(|start| *start >= 8)
        .ok_or_else(|| invalid(segment, "has a footer length larger than the file"))?;
    let footer = root_as_footer(&bytes[footer_start..len - 10])
        .map_err(|e| invalid(segment, &format!("has an unreadable footer ({e})")))?;
    let schema = footer
        .schema()
        .ok_or_else(|| invalid(segment, "has a footer without a schema"))?;
    let schema = Arc::new(try_fb_to_schema(schema).map_err(bad)?);
    let mut decoder = FileDecoder::new(schema.clone(), footer.version());
    let block_bytes = |block: &arrow_ipc::Block| -> Result<Buffer, HeddleError> {
        let start = usize::try_from(block.offset()).ok();
        let size = usize::try_from(block.metaDataLength())
            .ok()
            .zip(usize::try_from(block.bodyLength()).ok());
        match (start, size) {
            (Some(start), Some((meta, body)))
                if start
                    .checked_add(meta + body)
                    .is_some_and(|end| end <= footer_start) =>
            {
                Ok(buffer.slice_with_length(start, meta + body))
            }
            _ => Err(invalid(segment, "has a block outside the file")),
        }
    };
    for block in footer.dictionaries().iter().flatten() {
        decoder
            .read_dictionary(block, &block_bytes(block)?)
            .map_err(bad)?;
    }
    let mut batches = Vec::new();
    for block in footer.recordBatches().iter().flatten() {
        if let Some(batch) = decoder
            .read_record_batch(block, &block_bytes(block)?)
            .map_err(bad)?
        {
            batches.push(batch);
        }
    }
    Table::new(schema, batches).map_err(|e| invalid(segment, e.message()))
}

/// The mapping as one Arrow buffer that owns it (unmapped when the last
/// slice of it is dropped).
fn whole_mapping(mapping: Mmap) -> Buffer {
    let len = mapping.len();
    let ptr = NonNull::new(mapping.as_ptr() as *mut u8).expect("a mapping is never at address 0");
    // SAFETY: `ptr` and `len` describe the mapping, which the buffer keeps
    // alive through the `Arc` owner.
    unsafe { Buffer::from_custom_allocation(ptr, len, Arc::new(mapping)) }
}

fn invalid(segment: &SharedMemoryRef, problem: &str) -> HeddleError {
    HeddleError::sdk(
        ErrorCode::SegmentInvalid,
        format!(
            "shared-memory segment {:?} ({}) {problem}; the producer must write a complete Arrow IPC file at a 64-byte-aligned offset and pass its exact offset and length",
            segment.segment_id, segment.path
        ),
    )
}

fn unavailable(segment: &SharedMemoryRef, error: &std::io::Error) -> HeddleError {
    HeddleError::sdk(
        ErrorCode::ShmUnavailable,
        format!(
            "cannot open or map shared-memory segment {:?} at {}: {error}; check that the plugin may read the host's HEDDLE_SHM_DIR",
            segment.segment_id, segment.path
        ),
    )
}
