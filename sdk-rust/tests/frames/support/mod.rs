//! Test harness: starts the plugin process exactly as a host does (protocol
//! environment, private short socket directory, stdin pipe), reads its
//! handshake line, and gives gRPC clients and frame-lane connections to it.
//! Processes and directories are cleaned up on drop.
#![allow(dead_code)]

pub mod client;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use heddle::arrow_array::{ArrayRef, Int64Array};
use heddle::bytes::Bytes;
use heddle::proto::controller_service_client::ControllerServiceClient;
use heddle::proto::plugin_service_client::PluginServiceClient;
use heddle::proto::{data_ref, DataRef, HandshakeRequest, InvokeHeader, StreamedTable};
use heddle::sdk::client::connect_unix;
use heddle::sdk::frames;
use heddle::sdk::handshake::COOKIE;
use heddle::Table;
use serde_json::Value;
use tonic::transport::Channel;

use crate::plugin::{PLUGIN_ARGS, PLUGIN_MODE};
pub use client::FrameClient;

/// How long a start or an exit may take before the test fails instead of
/// hanging (a bound, not a timing assertion).
const LIMIT: Duration = Duration::from_secs(60);

/// A private directory (the socket's, or a shared-memory one), removed on drop.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    /// A new directory under `parent`, mode 0700.
    pub fn new(parent: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = PathBuf::from(format!(
            "{parent}/hf-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
        TempDir { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A running plugin process.
pub struct Plugin {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub stderr: Arc<Mutex<String>>,
    pub channel: Channel,
    pub socket: PathBuf,
    pub shm: Option<TempDir>,
    _dir: TempDir,
}

impl Plugin {
    /// Starts the plugin without shared memory, logging at `debug` (the
    /// tests watch for "call started" lines).
    pub async fn start() -> Plugin {
        Self::start_with(false, "debug").await
    }

    /// Starts the plugin at `log_level`, with a private `HEDDLE_SHM_DIR`
    /// when `shm`, waits for its handshake line and connects over gRPC.
    pub async fn start_with(shm: bool, log_level: &str) -> Plugin {
        let dir = TempDir::new("/tmp");
        let socket = dir.path.join("p.sock");
        let shm = shm.then(|| TempDir::new("/dev/shm"));
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args(PLUGIN_ARGS)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env(PLUGIN_MODE, "1")
            .env("HEDDLE_PLUGIN_COOKIE", COOKIE)
            .env("HEDDLE_PLUGIN_PROTOCOL_VERSIONS", "1")
            .env("HEDDLE_PLUGIN_SOCKET", &socket)
            .env("HEDDLE_LOG_LEVEL", log_level)
            .env("HEDDLE_PLUGIN_NAME", "frametest")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(shm) = &shm {
            command.env("HEDDLE_SHM_DIR", &shm.path);
        }
        let mut child = command.spawn().expect("start the plugin process");
        let stdin = child.stdin.take();
        let stderr = collect(child.stderr.take().unwrap());
        let handshake = handshake_line(child.stdout.take().unwrap());
        let Ok(line) = handshake.recv_timeout(LIMIT) else {
            let _ = child.kill();
            panic!("no handshake line; stderr: {}", stderr.lock().unwrap());
        };
        assert_eq!(line, format!("HEDDLE|1|1|unix|{}|grpc", socket.display()));
        assert!(
            frames::socket_path(&socket).exists(),
            "the frame lane listens before the handshake line"
        );
        let channel = connect_unix(socket.clone())
            .await
            .expect("connect to the plugin socket");
        Plugin {
            child,
            stdin,
            stderr,
            channel,
            socket,
            shm,
            _dir: dir,
        }
    }

    pub fn client(&self) -> PluginServiceClient<Channel> {
        PluginServiceClient::new(self.channel.clone())
            .max_decoding_message_size(64 << 20)
            .max_encoding_message_size(64 << 20)
    }

    pub fn controller(&self) -> ControllerServiceClient<Channel> {
        ControllerServiceClient::new(self.channel.clone())
    }

    /// Where the frame lane listens.
    pub fn frames_path(&self) -> PathBuf {
        frames::socket_path(&self.socket)
    }

    /// Negotiates as a host offering `frames` (and `shm`), then opens a
    /// frame connection. Panics when the plugin does not offer `frames`.
    pub async fn frames(&self) -> FrameClient {
        let answer = self
            .client()
            .handshake(HandshakeRequest {
                protocol_versions: vec![1],
                capabilities: vec!["shm".into(), "frames".into()],
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(answer.capabilities.iter().any(|c| c == "frames"));
        FrameClient::connect(&self.frames_path()).await
    }

    /// Waits for the process to exit by itself (bounded so a hang fails).
    pub fn wait_exit(&mut self) -> ExitStatus {
        for _ in 0..(LIMIT.as_millis() / 10) {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        panic!("the plugin did not exit within {LIMIT:?}");
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The handshake line. The plugin process is a test harness, which prints
/// its own text first (lines, and a test name may open the line): the
/// handshake is what follows `HEDDLE|`.
fn handshake_line(stdout: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(at) = line.find("HEDDLE|") {
                let _ = sender.send(line[at..].to_string());
            }
        }
    });
    receiver
}

/// Reads a pipe into a shared string on a thread.
fn collect(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        while let Ok(n) = pipe.read(&mut buffer) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    });
    text
}

/// A header for `step` with `config`.
pub fn header(step: &str, config: Value) -> InvokeHeader {
    InvokeHeader {
        call_id: format!("call-{step}-{}", next_id()),
        step: step.into(),
        config_json: config.to_string(),
        ..Default::default()
    }
}

/// Says the input is the frame's payload of `payload` bytes.
pub fn streamed(mut header: InvokeHeader, payload: &Bytes) -> InvokeHeader {
    header.input = Some(DataRef {
        kind: Some(data_ref::Kind::Streamed(StreamedTable {
            total_bytes: payload.len() as u64,
        })),
    });
    header
}

/// A table with one int64 column `id` of `0..rows`.
pub fn ids(rows: i64) -> Table {
    Table::from_columns(vec![(
        "id",
        std::sync::Arc::new(Int64Array::from_iter_values(0..rows)) as ArrayRef,
    )])
    .unwrap()
}

fn next_id() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
