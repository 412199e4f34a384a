//! Segments written and read in this process: round trips, zero-copy reads,
//! and every way a handle can be bad.

use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{ArrayRef, Int64Array, StringArray};

use super::*;
use crate::core::errors::ErrorCode;
use crate::core::table::Table;
use crate::proto::SharedMemoryRef;

/// A private directory under /dev/shm (tmpfs, as the host uses), removed on drop.
struct TempShm(PathBuf);

impl TempShm {
    fn new(name: &str) -> Self {
        let path = PathBuf::from(format!(
            "/dev/shm/heddle-rs-unit-{}-{name}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempShm(path)
    }

    fn dir(&self) -> ShmDir {
        ShmDir::usable(&self.0).unwrap()
    }

    fn file(&self, name: &str, bytes: &[u8]) -> SharedMemoryRef {
        let path = self.0.join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(bytes)
            .unwrap();
        SharedMemoryRef {
            segment_id: name.into(),
            path: path.to_string_lossy().into_owned(),
            offset: 0,
            length: bytes.len() as u64,
            num_rows: 0,
        }
    }
}

impl Drop for TempShm {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn table(rows: i64) -> Table {
    Table::from_columns(vec![
        (
            "id",
            Arc::new(Int64Array::from_iter_values(0..rows)) as ArrayRef,
        ),
        (
            "label",
            Arc::new(StringArray::from_iter_values(
                (0..rows).map(|i| format!("row-{i}")),
            )) as ArrayRef,
        ),
    ])
    .unwrap()
}

fn code_of(result: Result<Table, crate::HeddleError>) -> ErrorCode {
    result.unwrap_err().code().unwrap()
}

#[test]
fn writes_an_aligned_ipc_file_and_reads_it_back() {
    let shm = TempShm::new("roundtrip");
    let original = table(1000);
    let segment = shm.dir().write(&original).unwrap();
    assert_eq!(segment.num_rows, 1000);
    assert_eq!(segment.offset, 0);
    assert!(segment
        .path
        .ends_with(&format!("{}.arrow", segment.segment_id)));
    let bytes = std::fs::read(&segment.path).unwrap();
    assert_eq!(bytes.len() as u64, segment.length);
    assert_eq!(&bytes[..6], ARROW_MAGIC);
    assert_eq!(&bytes[bytes.len() - 6..], ARROW_MAGIC);
    let back = read_segment(&segment).unwrap();
    assert_eq!(back.to_batch().unwrap(), original.to_batch().unwrap());
    assert!(ipc_stream_size(&original).unwrap() > 8 * 1000);
}

#[test]
fn reads_in_place_from_the_mapping() {
    let shm = TempShm::new("inplace");
    let segment = shm.dir().write(&table(100)).unwrap();
    let mapped = read_segment(&segment).unwrap();
    let ids = mapped.column("id").unwrap();
    let values = ids.as_primitive::<Int64Type>().values();
    assert_eq!(values[7], 7);
    assert_eq!(values.inner().as_ptr() as usize % SEGMENT_ALIGNMENT, 0);
    // Overwrite value 7 in the file: a table read in place sees the change,
    // a copy would not. (Segments are immutable in real use.)
    let offset = {
        let bytes = std::fs::read(&segment.path).unwrap();
        let needle: Vec<u8> = (0..16i64).flat_map(i64::to_le_bytes).collect();
        bytes
            .windows(needle.len())
            .position(|w| w == needle.as_slice())
            .unwrap()
    };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&segment.path)
        .unwrap();
    file.write_all_at(&4242i64.to_le_bytes(), (offset + 7 * 8) as u64)
        .unwrap();
    assert_eq!(values[7], 4242);
}

#[test]
fn reads_a_file_at_an_aligned_offset() {
    let shm = TempShm::new("offset");
    let segment = shm.dir().write(&table(10)).unwrap();
    let mut bytes = vec![0u8; 128];
    bytes.extend(std::fs::read(&segment.path).unwrap());
    let mut shifted = shm.file("shifted", &bytes);
    shifted.offset = 128;
    shifted.length -= 128;
    assert_eq!(read_segment(&shifted).unwrap().num_rows(), 10);
}

#[test]
fn bad_handles_get_the_right_codes() {
    let shm = TempShm::new("bad");
    let good = shm.dir().write(&table(10)).unwrap();
    let bytes = std::fs::read(&good.path).unwrap();

    let mut missing = good.clone();
    missing.path = shm.0.join("gone.arrow").to_string_lossy().into_owned();
    assert_eq!(code_of(read_segment(&missing)), ErrorCode::SegmentNotFound);

    let mut misaligned = good.clone();
    misaligned.offset = 8;
    assert_eq!(
        code_of(read_segment(&misaligned)),
        ErrorCode::SegmentInvalid
    );

    let mut too_long = good.clone();
    too_long.length += 64;
    let err = read_segment(&too_long).unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::SegmentInvalid));
    assert!(err.message().contains("truncated"), "{}", err.message());

    let tiny = shm.file("tiny", b"ARROW1");
    assert_eq!(code_of(read_segment(&tiny)), ErrorCode::SegmentInvalid);

    let no_magic = shm.file("nomagic", &vec![7u8; 256]);
    let err = read_segment(&no_magic).unwrap_err();
    assert!(err.message().contains("ARROW1"), "{}", err.message());

    let mut garbage = b"ARROW1\0\0".to_vec();
    garbage.extend(vec![0xabu8; 200]);
    garbage.extend(100i32.to_le_bytes());
    garbage.extend(ARROW_MAGIC);
    let garbage = shm.file("garbage", &garbage);
    assert_eq!(code_of(read_segment(&garbage)), ErrorCode::SegmentInvalid);

    let cut = shm.file("cut", &bytes[..bytes.len() - 20]);
    assert_eq!(code_of(read_segment(&cut)), ErrorCode::SegmentInvalid);

    let mut body_broken = bytes.clone();
    let body = bytes.len() / 2;
    body_broken[body - 50..body + 50].fill(0xff);
    let broken = shm.file("broken", &body_broken);
    assert_eq!(code_of(read_segment(&broken)), ErrorCode::SegmentInvalid);
}

#[test]
fn a_full_or_missing_directory_is_shm_unavailable() {
    let shm = TempShm::new("vanish");
    let dir = shm.dir();
    std::fs::remove_dir_all(&shm.0).unwrap();
    let err = dir.write(&table(3)).unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::ShmUnavailable));
}
