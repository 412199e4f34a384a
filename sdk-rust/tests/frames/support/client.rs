//! A host's side of one frame-lane connection, built on the SDK's codec:
//! calls are written whole under a lock, and one reader task hands each
//! result to the caller waiting for its `call_no`, in whatever order the
//! results come.

use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use heddle::bytes::Bytes;
use heddle::proto::{InvokeHeader, InvokeResponse};
use heddle::sdk::frames::{self, Frame, Kind, OutFrame, PREFACE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::unix::OwnedWriteHalf;
use tokio::net::UnixStream;
use tokio::sync::oneshot;

type Waiting = Arc<Mutex<HashMap<u32, oneshot::Sender<Frame<InvokeResponse>>>>>;

/// A connection to the frame lane.
pub struct FrameClient {
    writer: tokio::sync::Mutex<OwnedWriteHalf>,
    waiting: Waiting,
    next: AtomicU32,
    /// Result frames in the order they arrived.
    pub arrivals: Arc<Mutex<Vec<u32>>>,
    /// Resolves (with the reason) when the plugin closed the connection.
    closed: Mutex<Option<oneshot::Receiver<String>>>,
}

impl FrameClient {
    /// Connects and sends the preface.
    pub async fn connect(path: &Path) -> FrameClient {
        let stream = UnixStream::connect(path)
            .await
            .expect("connect to the frame lane");
        let (mut read, mut write) = stream.into_split();
        write.write_all(&PREFACE).await.unwrap();
        let waiting: Waiting = Arc::default();
        let arrivals: Arc<Mutex<Vec<u32>>> = Arc::default();
        let (ended, closed) = oneshot::channel();
        let (map, order) = (waiting.clone(), arrivals.clone());
        tokio::spawn(async move {
            let reason = loop {
                match frames::read_frame::<InvokeResponse, _>(&mut read, Kind::Result).await {
                    Ok(Some(frame)) => {
                        order.lock().unwrap().push(frame.call_no);
                        let waiter = map.lock().unwrap().remove(&frame.call_no);
                        let waiter = waiter.unwrap_or_else(|| {
                            panic!("a result for call {} that nobody waits for", frame.call_no)
                        });
                        let _ = waiter.send(frame);
                    }
                    Ok(None) => break "closed".to_string(),
                    Err(err) => break format!("error: {err}"),
                }
            };
            // Callers still waiting see their sender dropped.
            map.lock().unwrap().clear();
            let _ = ended.send(reason);
        });
        FrameClient {
            writer: tokio::sync::Mutex::new(write),
            waiting,
            next: AtomicU32::new(1),
            arrivals,
            closed: Mutex::new(Some(closed)),
        }
    }

    /// Sends a call; the receiver gets its result frame.
    pub async fn send(
        &self,
        header: &InvokeHeader,
        payload: Bytes,
    ) -> (u32, oneshot::Receiver<Frame<InvokeResponse>>) {
        let call_no = self.next.fetch_add(1, Ordering::Relaxed);
        let (sender, receiver) = oneshot::channel();
        self.waiting.lock().unwrap().insert(call_no, sender);
        let frame = OutFrame::new(Kind::Call, call_no, header, payload).unwrap();
        let mut writer = self.writer.lock().await;
        frames::write_frames(&mut *writer, &[frame]).await.unwrap();
        (call_no, receiver)
    }

    /// Calls and waits for the result (bounded: a lost result fails the test).
    pub async fn call(&self, header: &InvokeHeader, payload: Bytes) -> Frame<InvokeResponse> {
        let (call_no, result) = self.send(header, payload).await;
        let frame = tokio::time::timeout(Duration::from_secs(120), result)
            .await
            .unwrap_or_else(|_| panic!("no result for call {call_no}"))
            .unwrap_or_else(|_| {
                panic!("the connection closed before the result of call {call_no}")
            });
        assert_eq!(frame.call_no, call_no);
        frame
    }

    /// Writes raw bytes (to send malformed frames).
    pub async fn send_raw(&self, bytes: &[u8]) -> io::Result<()> {
        self.writer.lock().await.write_all(bytes).await
    }

    /// Waits until the plugin closes the connection; the reader's reason.
    pub async fn closed(&self) -> String {
        let closed = self.closed.lock().unwrap().take().expect("closed() once");
        tokio::time::timeout(Duration::from_secs(60), closed)
            .await
            .expect("the plugin did not close the connection")
            .unwrap()
    }
}

/// Connects, writes `bytes` and reads until the plugin closes: true when it
/// closed without sending anything.
pub async fn closes_after(path: &Path, bytes: &[u8]) -> bool {
    let mut stream = UnixStream::connect(path).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut rest))
        .await
        .expect("the plugin did not close the connection");
    matches!(read, Ok(0)) || (read.is_err() && rest.is_empty())
}
