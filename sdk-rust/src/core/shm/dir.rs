//! [`ShmDir`]: the tmpfs directory the host gives in `HEDDLE_SHM_DIR`, and
//! how segments this process produces are named in it.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable naming the directory for segments (protocol §2.1).
pub const SHM_DIR_VARIABLE: &str = "HEDDLE_SHM_DIR";

/// A writable directory for this process's segments.
#[derive(Debug)]
pub struct ShmDir {
    path: PathBuf,
    next: AtomicU64,
}

impl ShmDir {
    /// `dir` when it is a directory this process can create files in, else
    /// `None` (then the plugin does not offer the `shm` capability).
    pub fn usable(dir: &Path) -> Option<ShmDir> {
        if dir.as_os_str().is_empty() || !dir.is_dir() {
            return None;
        }
        let c_path = CString::new(dir.as_os_str().as_bytes()).ok()?;
        // SAFETY: `c_path` is a valid NUL-terminated string for the call.
        let writable = unsafe { libc::access(c_path.as_ptr(), libc::W_OK | libc::X_OK) } == 0;
        writable.then(|| ShmDir {
            path: dir.to_path_buf(),
            next: AtomicU64::new(1),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new segment id, `<pid>-<counter>`, unique on the machine while this
    /// process lives (the host finds what a crashed plugin left by the pid).
    pub fn next_segment_id(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", std::process::id())
    }

    /// Where segment `id` lives: `<dir>/<id>.arrow` (protocol §8.1).
    pub fn segment_path(&self, id: &str) -> PathBuf {
        self.path.join(format!("{id}.arrow"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_existing_directories_are_usable_and_ids_carry_the_pid() {
        assert!(ShmDir::usable(Path::new("")).is_none());
        assert!(ShmDir::usable(Path::new("/definitely/not/here")).is_none());
        let dir = ShmDir::usable(&std::env::temp_dir()).unwrap();
        let first = dir.next_segment_id();
        let second = dir.next_segment_id();
        assert_ne!(first, second);
        assert!(first.starts_with(&format!("{}-", std::process::id())));
        assert_eq!(
            dir.segment_path(&first),
            std::env::temp_dir().join(format!("{first}.arrow"))
        );
    }
}
