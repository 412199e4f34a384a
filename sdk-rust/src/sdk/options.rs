//! [`ServeOptions`]: how `serve` runs, read from the protocol's environment
//! variables (protocol §2.1) with overrides for tests and embedding.

use std::path::PathBuf;
use std::time::Duration;

/// Settings of one serving process.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// `HEDDLE_PLUGIN_COOKIE`.
    pub cookie: Option<String>,
    /// `HEDDLE_PLUGIN_PROTOCOL_VERSIONS`, as given.
    pub protocol_versions: String,
    /// `HEDDLE_PLUGIN_SOCKET`: where to listen.
    pub socket: Option<PathBuf>,
    /// How long in-flight calls may finish after stdin closes or a signal
    /// arrives (protocol: 2 s).
    pub default_grace: Duration,
    /// gRPC max message size, both ways (protocol: at least 16 MiB).
    pub max_message_bytes: usize,
    /// Whether stdin reaching end-of-file shuts the plugin down (protocol
    /// §2.2 step 5; turn off only when embedding without a host).
    pub watch_stdin: bool,
    /// `HEDDLE_SHM_DIR`: where shared-memory segments live (protocol §8.1).
    /// The plugin offers `shm` only when it is a writable directory.
    pub shm_dir: Option<PathBuf>,
}

impl ServeOptions {
    /// Options from the process environment.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok();
        ServeOptions {
            cookie: var("HEDDLE_PLUGIN_COOKIE"),
            protocol_versions: var("HEDDLE_PLUGIN_PROTOCOL_VERSIONS").unwrap_or_default(),
            socket: var("HEDDLE_PLUGIN_SOCKET")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
            default_grace: Duration::from_secs(2),
            max_message_bytes: 64 * 1024 * 1024,
            watch_stdin: true,
            shm_dir: var(crate::core::shm::SHM_DIR_VARIABLE)
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
        }
    }
}
