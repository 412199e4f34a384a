//! Test harness: starts the conformance plugin binary exactly as a host does
//! (protocol env vars, private short socket dir, stdin pipe), reads its
//! handshake line, and gives tonic clients connected to its socket. Every
//! process and temp dir is cleaned up on drop.
#![allow(dead_code)]

pub mod calls;
pub mod shm;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use heddle::proto::controller_service_client::ControllerServiceClient;
use heddle::proto::plugin_service_client::PluginServiceClient;
use heddle::sdk::client::connect_unix;
use heddle::sdk::handshake::COOKIE;
use tonic::transport::Channel;

/// The binary under test, built by cargo for these tests.
pub const BINARY: &str = env!("CARGO_BIN_EXE_conformance-rust");

/// How long a start may take before the test gives up (a hung start fails
/// the test instead of hanging it; this is not a timing assertion).
const START_LIMIT: Duration = Duration::from_secs(60);

/// A private socket directory under /tmp, removed on drop.
pub struct SocketDir {
    pub path: PathBuf,
}

impl SocketDir {
    pub fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = PathBuf::from(format!(
            "/tmp/hr-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
        SocketDir { path }
    }

    pub fn socket(&self) -> PathBuf {
        self.path.join("p.sock")
    }
}

impl Drop for SocketDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Environment overrides for a start.
#[derive(Clone)]
pub struct Env {
    pub cookie: Option<String>,
    pub versions: String,
    pub log_level: String,
    /// `HEDDLE_SHM_DIR` (unset when `None`).
    pub shm_dir: Option<PathBuf>,
}

impl Default for Env {
    fn default() -> Self {
        Env {
            cookie: Some(COOKIE.to_string()),
            versions: "1".into(),
            log_level: "info".into(),
            shm_dir: None,
        }
    }
}

/// Spawns the binary with the protocol environment.
pub fn spawn(env: &Env, dir: &SocketDir) -> Child {
    let mut command = Command::new(BINARY);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HEDDLE_PLUGIN_PROTOCOL_VERSIONS", &env.versions)
        .env("HEDDLE_PLUGIN_SOCKET", dir.socket())
        .env("HEDDLE_LOG_LEVEL", &env.log_level)
        .env("HEDDLE_PLUGIN_NAME", "conformance-rust")
        .env("HEDDLE_PLUGIN_DIR", env!("CARGO_MANIFEST_DIR"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(cookie) = &env.cookie {
        command.env("HEDDLE_PLUGIN_COOKIE", cookie);
    }
    if let Some(shm_dir) = &env.shm_dir {
        command.env("HEDDLE_SHM_DIR", shm_dir);
    }
    command
        .spawn()
        .expect("start the conformance plugin binary")
}

/// A running plugin process.
pub struct Plugin {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub handshake: String,
    pub stderr: Arc<Mutex<String>>,
    pub channel: Channel,
    pub dir: SocketDir,
}

impl Plugin {
    /// Starts the plugin, waits for its handshake line and connects.
    pub async fn start() -> Plugin {
        Self::start_with(&Env::default()).await
    }

    pub async fn start_with(env: &Env) -> Plugin {
        let dir = SocketDir::new();
        let mut child = spawn(env, &dir);
        let stdin = child.stdin.take();
        let stderr = collect(child.stderr.take().unwrap());
        let stdout = child.stdout.take().unwrap();
        let (lines, line) = mpsc::channel();
        std::thread::spawn(move || {
            for next in BufReader::new(stdout).lines() {
                match next {
                    Ok(text) => {
                        if lines.send(text).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        });
        let handshake = line.recv_timeout(START_LIMIT).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("no handshake line; stderr: {}", stderr.lock().unwrap())
        });
        let socket = dir.socket();
        let channel = connect_unix(socket)
            .await
            .expect("connect to the plugin socket");
        Plugin {
            child,
            stdin,
            handshake,
            stderr,
            channel,
            dir,
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

    /// Waits for the process to exit by itself (bounded so a hang fails).
    pub fn wait_exit(&mut self) -> ExitStatus {
        wait_bounded(&mut self.child)
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

/// Reads a pipe into a shared string on a thread.
pub fn collect(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
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

/// Waits for a child to exit; kills it and fails after a generous bound.
pub fn wait_bounded(child: &mut Child) -> ExitStatus {
    for _ in 0..6000 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    panic!("the plugin did not exit within 60 s");
}
