//! Shared-memory helpers for the end-to-end tests: a private tmpfs directory
//! (the host's `HEDDLE_SHM_DIR`), segments written by the test as a host
//! would, and reading the plugin's output segments with arrow-ipc's own
//! `FileReader` (an independent reader, not the SDK's).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use arrow_ipc::reader::FileReader;
use arrow_ipc::writer::FileWriter;
use heddle::proto::{data_ref, DataRef, InvokeHeader, SharedMemoryRef};
use heddle::Table;

/// A private directory under /dev/shm, removed with everything in it on drop.
pub struct ShmDir {
    pub path: PathBuf,
}

impl ShmDir {
    pub fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = PathBuf::from(format!(
            "/dev/shm/heddle-rs-e2e-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        ShmDir { path }
    }

    /// Writes `table` as an Arrow IPC file (64-byte aligned, arrow-rs's
    /// default) named `<name>.arrow`, as the host does, and returns its handle.
    pub fn segment(&self, name: &str, table: &Table) -> SharedMemoryRef {
        let path = self.path.join(format!("{name}.arrow"));
        let mut writer = FileWriter::try_new(File::create(&path).unwrap(), table.schema()).unwrap();
        for batch in table.batches() {
            writer.write(batch).unwrap();
        }
        writer.finish().unwrap();
        drop(writer);
        handle(name, &path, table.num_rows())
    }

    /// Names of the files in the directory.
    pub fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for ShmDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A handle to the whole file at `path`.
pub fn handle(id: &str, path: &Path, rows: usize) -> SharedMemoryRef {
    SharedMemoryRef {
        segment_id: id.into(),
        path: path.to_string_lossy().into_owned(),
        offset: 0,
        length: std::fs::metadata(path).map(|m| m.len()).unwrap_or(4096),
        num_rows: rows as u64,
    }
}

/// Sets a shared-memory input.
pub fn with_shm_input(mut header: InvokeHeader, segment: SharedMemoryRef) -> InvokeHeader {
    header.input = Some(DataRef {
        kind: Some(data_ref::Kind::Shm(segment)),
    });
    header
}

/// The shared-memory handle of an output, which must be one.
pub fn shm_output(output: &Option<DataRef>) -> SharedMemoryRef {
    match output.as_ref().and_then(|o| o.kind.as_ref()) {
        Some(data_ref::Kind::Shm(segment)) => segment.clone(),
        other => panic!("expected a shared-memory output, got {other:?}"),
    }
}

/// Reads an output segment with arrow-ipc's `FileReader`, checking the
/// handle's length and the file's magic first.
pub fn read_output(segment: &SharedMemoryRef) -> Table {
    let bytes = std::fs::metadata(&segment.path).unwrap().len();
    assert_eq!(bytes, segment.offset + segment.length);
    let reader = FileReader::try_new(File::open(&segment.path).unwrap(), None).unwrap();
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, _>>().unwrap();
    Table::new(schema, batches).unwrap()
}
