//! The frame lane under control: `Cancel` over gRPC, deadlines from
//! `timeout_ms`, protocol errors that close a connection, and shutdown.

use std::time::Duration;

use heddle::bytes::Bytes;
use heddle::core::errors::code_name;
use heddle::proto::*;
use heddle::sdk::frames::{Kind, OutFrame, Prefix, PREFACE};
use heddle::ErrorCode;
use serde_json::json;
use tokio::net::UnixStream;

use crate::support::client::closes_after;
use crate::support::{header, ids, streamed, FrameClient, Plugin};

fn code(response: &InvokeResponse) -> &'static str {
    let error = response.error.as_ref().expect("an error");
    code_name(ErrorCode::try_from(error.code).unwrap())
}

/// Keeps cancelling `call_id` over gRPC until the plugin has it running.
async fn cancel_when_running(plugin: &Plugin, call_id: &str) {
    let mut controller = plugin.controller();
    for _ in 0..6000 {
        let request = CancelRequest {
            call_id: call_id.into(),
            reason: "test".into(),
        };
        if controller.cancel(request).await.unwrap().into_inner().found {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the call {call_id} never started");
}

/// Waits until no call of that id runs any more (`Cancel` finds none).
async fn wait_gone(plugin: &Plugin, call_id: &str) {
    let mut controller = plugin.controller();
    for _ in 0..6000 {
        let request = CancelRequest {
            call_id: call_id.into(),
            reason: "probe".into(),
        };
        if !controller.cancel(request).await.unwrap().into_inner().found {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the call {call_id} kept running");
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_over_grpc_reaches_a_frame_call() {
    let plugin = Plugin::start().await;
    let lane = plugin.frames().await;
    let call = header("sleep", json!({"ms": 60_000}));
    let (_, result) = lane.send(&call, Bytes::new()).await;
    cancel_when_running(&plugin, &call.call_id).await;
    let frame = result.await.unwrap();
    assert_eq!(code(&frame.message), "CANCELLED");
    assert_eq!(frame.message.error.unwrap().component, "frametest.sleep");
}

/// A step that answered quickly runs on the connection's own thread; when
/// such a call turns slow, Cancel and its deadline still reach it, and the
/// connection answers the calls that follow.
#[tokio::test(flavor = "multi_thread")]
async fn a_quick_step_turning_slow_can_still_be_cancelled_or_time_out() {
    let plugin = Plugin::start().await;
    let lane = plugin.frames().await;
    for _ in 0..20 {
        // Earns running in place (core/pace.rs).
        let quick = lane
            .call(&header("sleep", json!({"ms": 0})), Bytes::new())
            .await;
        assert!(quick.message.error.is_none(), "{:?}", quick.message.error);
    }
    let call = header("sleep", json!({"ms": 60_000}));
    let (_, result) = lane.send(&call, Bytes::new()).await;
    cancel_when_running(&plugin, &call.call_id).await;
    assert_eq!(code(&result.await.unwrap().message), "CANCELLED");

    for _ in 0..20 {
        lane.call(&header("sleep", json!({"ms": 0})), Bytes::new())
            .await;
    }
    let mut call = header("sleep", json!({"ms": 60_000}));
    call.timeout_ms = 200;
    let frame = lane.call(&call, Bytes::new()).await;
    assert_eq!(code(&frame.message), "DEADLINE_EXCEEDED");
    let after = lane
        .call(&header("sleep", json!({"ms": 0})), Bytes::new())
        .await;
    assert!(after.message.error.is_none(), "{:?}", after.message.error);
}

#[tokio::test(flavor = "multi_thread")]
async fn timeout_ms_is_the_deadline() {
    let plugin = Plugin::start().await;
    let lane = plugin.frames().await;
    let mut call = header("sleep", json!({"ms": 60_000}));
    call.timeout_ms = 200;
    let frame = lane.call(&call, Bytes::new()).await;
    assert_eq!(code(&frame.message), "DEADLINE_EXCEEDED");
    // A deadline long enough lets the call finish.
    let mut call = header("sleep", json!({"ms": 1}));
    call.timeout_ms = 60_000;
    assert!(lane.call(&call, Bytes::new()).await.message.error.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_preface_closes_the_connection() {
    let plugin = Plugin::start().await;
    let path = plugin.frames_path();
    assert!(closes_after(&path, b"HDLFRM02").await);
    assert!(closes_after(&path, b"GET / HTTP/1.1\r\n\r\n").await);
    // The lane still serves well-behaved connections.
    let lane = FrameClient::connect(&path).await;
    let input = ids(1).to_ipc().unwrap();
    let frame = lane
        .call(&streamed(header("echo", json!({})), &input), input)
        .await;
    assert!(frame.message.error.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_frames_close_the_connection() {
    let plugin = Plugin::start().await;
    let path = plugin.frames_path();
    let call = header("echo", json!({}));
    let good = OutFrame::new(Kind::Call, 1, &call, Bytes::new()).unwrap();
    let mut wire = Vec::new();
    heddle::sdk::frames::write_frames(&mut wire, &[good])
        .await
        .unwrap();
    let with = |at: usize, byte: u8| {
        let mut bytes = PREFACE.to_vec();
        bytes.extend_from_slice(&wire);
        bytes[PREFACE.len() + at] = byte;
        bytes
    };
    // Unknown kind, a result from the host, reserved bytes.
    for (at, byte) in [(4, 0), (4, 3), (4, 2), (5, 1), (7, 1), (12, 1), (15, 1)] {
        assert!(
            closes_after(&path, &with(at, byte)).await,
            "byte {at} = {byte}"
        );
    }
    // A message that does not decode as an InvokeHeader.
    let mut bytes = PREFACE.to_vec();
    let prefix = Prefix {
        header_len: 3,
        kind: Kind::Call,
        call_no: 1,
        payload_len: 0,
    };
    bytes.extend_from_slice(&prefix.to_bytes());
    bytes.extend_from_slice(&[0x0F, 0xFF, 0xFF]);
    assert!(closes_after(&path, &bytes).await);
    // A payload of 2^53 bytes or more.
    let mut bytes = PREFACE.to_vec();
    let mut huge = Prefix {
        header_len: 0,
        kind: Kind::Call,
        call_no: 1,
        payload_len: 0,
    }
    .to_bytes();
    huge[16..24].copy_from_slice(&(1u64 << 53).to_le_bytes());
    bytes.extend_from_slice(&huge);
    assert!(closes_after(&path, &bytes).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_connection_cancels_its_calls_in_flight() {
    let plugin = Plugin::start().await;
    let lane = plugin.frames().await;
    let call = header("sleep", json!({"ms": 60_000}));
    let (_, result) = lane.send(&call, Bytes::new()).await;
    // Wait until it runs (cancelling it would end it: probe with another id).
    let mut running = false;
    for _ in 0..6000 {
        if plugin.stderr_text().contains(&call.call_id) {
            running = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(running, "the call never started");
    lane.send_raw(&[0xFF; 24]).await.unwrap();
    lane.closed().await;
    assert!(result.await.is_err(), "no result on a closed connection");
    wait_gone(&plugin, &call.call_id).await;
    assert!(plugin.stderr_text().contains("closing a frame connection"));
}

/// How a test stops the plugin.
enum Stop {
    Rpc,
    Sigterm,
}

/// Starts a slow call, stops the plugin, and checks the shutdown: the call
/// in flight finishes, a new call on the open connection is refused with
/// PLUGIN_UNAVAILABLE, no new connection is accepted, and the process exits
/// 0 with its sockets removed.
async fn shuts_down_gracefully(stop: Stop) {
    let mut plugin = Plugin::start().await;
    let lane = plugin.frames().await;
    let slow = header("sleep", json!({"ms": 1500}));
    let (_, slow_result) = lane.send(&slow, Bytes::new()).await;
    let mut started = false;
    for _ in 0..6000 {
        if plugin.stderr_text().contains(&slow.call_id) {
            started = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(started, "the slow call never started");
    match stop {
        Stop::Rpc => {
            let request = ShutdownRequest { grace_ms: 30_000 };
            plugin.controller().shutdown(request).await.unwrap();
        }
        Stop::Sigterm => {
            // SAFETY: kill(2) on the pid of our own child process.
            let rc = unsafe { libc::kill(plugin.child.id() as libc::pid_t, libc::SIGTERM) };
            assert_eq!(rc, 0);
        }
    }
    // Refused once the plugin is stopping (retry until the stop is seen).
    let input = ids(1).to_ipc().unwrap();
    let mut refused = false;
    for _ in 0..600 {
        let frame = lane
            .call(&streamed(header("echo", json!({})), &input), input.clone())
            .await;
        if frame.message.error.is_some() {
            assert_eq!(code(&frame.message), "PLUGIN_UNAVAILABLE");
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(refused, "new calls were never refused");
    let mut accepting = true;
    for _ in 0..600 {
        if UnixStream::connect(plugin.frames_path()).await.is_err() {
            accepting = false;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(!accepting, "no new connection once shutting down");
    let frame = slow_result.await.expect("the call in flight is answered");
    assert!(frame.message.error.is_none(), "{:?}", frame.message.error);
    assert_eq!(lane.closed().await, "closed");
    assert!(plugin.wait_exit().success());
    assert!(!plugin.frames_path().exists() && !plugin.socket.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_rpc_lets_frame_calls_finish() {
    shuts_down_gracefully(Stop::Rpc).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_frame_calls_finish() {
    shuts_down_gracefully(Stop::Sigterm).await;
}
