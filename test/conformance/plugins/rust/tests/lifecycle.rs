//! End to end: cancellation, deadlines, shutdown (RPC, stdin EOF, SIGTERM)
//! and the start-up refusals (wrong cookie → 3, no shared version → 4).

mod support;

use std::io::Read;
use std::time::Duration;

use heddle::proto::*;
use serde_json::json;
use support::calls::*;
use support::{spawn, wait_bounded, Env, Plugin, SocketDir};

/// Keeps cancelling `call_id` until the plugin has registered the call.
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

#[tokio::test(flavor = "multi_thread")]
async fn cancel_reaches_the_step() {
    let plugin = Plugin::start_with(&Env {
        log_level: "debug".into(),
        ..Env::default()
    })
    .await;
    let mut client = plugin.client();
    let mut h = header("sleep", json!({"ms": 60_000}));
    h.call_id = "sleepy".into();
    let running = tokio::spawn({
        let mut client = client.clone();
        async move { invoke(&mut client, h).await }
    });
    wait_for_log(&plugin, "call started", "sleepy").await;
    // A long step does not hold up other calls on the same connection.
    for _ in 0..4 {
        let other = call(&mut client, "generate", json!({"rows": 2}), None).await;
        assert_eq!(output(&other).num_rows(), 2);
    }
    cancel_when_running(&plugin, "sleepy").await;
    let response = running.await.unwrap();
    assert_eq!(code(error_of(&response)), "CANCELLED");
    let none = plugin
        .controller()
        .cancel(CancelRequest {
            call_id: "sleepy".into(),
            reason: String::new(),
        })
        .await
        .unwrap();
    assert!(!none.into_inner().found);
    assert_eq!(
        output(&call(&mut client, "generate", json!({"rows": 1}), None).await).num_rows(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn more_long_steps_than_cores_still_leave_the_plugin_responsive() {
    let plugin = Plugin::start_with(&Env {
        log_level: "debug".into(),
        ..Env::default()
    })
    .await;
    let mut running = Vec::new();
    for i in 0..4 {
        let mut h = header("sleep", json!({"ms": 60_000}));
        h.call_id = format!("long-{i}");
        let mut client = plugin.client();
        running.push(tokio::spawn(async move { invoke(&mut client, h).await }));
    }
    for i in 0..4 {
        wait_for_log(&plugin, "call started", &format!("long-{i}")).await;
    }
    let mut client = plugin.client();
    assert_eq!(
        output(&call(&mut client, "generate", json!({"rows": 3}), None).await).num_rows(),
        3
    );
    for i in 0..4 {
        cancel_when_running(&plugin, &format!("long-{i}")).await;
    }
    for task in running {
        assert_eq!(code(error_of(&task.await.unwrap())), "CANCELLED");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deadlines_end_calls() {
    let plugin = Plugin::start().await;
    let mut client = plugin.client();
    // The header's timeout_ms alone: the plugin answers DEADLINE_EXCEEDED.
    let mut h = header("sleep", json!({"ms": 60_000}));
    h.timeout_ms = 200;
    assert_eq!(
        code(error_of(&invoke(&mut client, h).await)),
        "DEADLINE_EXCEEDED"
    );
    // A gRPC deadline: the call ends either way, the plugin stays usable.
    let mut request = tonic::Request::new(InvokeRequest {
        header: Some(header("sleep", json!({"ms": 60_000}))),
    });
    request.set_timeout(Duration::from_millis(200));
    match client.invoke(request).await {
        Ok(response) => assert_eq!(code(error_of(&response.into_inner())), "DEADLINE_EXCEEDED"),
        Err(status) => assert!(
            matches!(
                status.code(),
                tonic::Code::DeadlineExceeded | tonic::Code::Cancelled
            ),
            "{status:?}"
        ),
    }
    assert_eq!(
        output(&call(&mut client, "generate", json!({"rows": 1}), None).await).num_rows(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_rpc_replies_then_exits_zero() {
    let mut plugin = Plugin::start().await;
    let mut client = plugin.client();
    open(&mut client, "counter", json!({})).await;
    plugin
        .controller()
        .shutdown(ShutdownRequest { grace_ms: 1000 })
        .await
        .unwrap();
    let status = plugin.wait_exit();
    assert_eq!(status.code(), Some(0), "stderr: {}", plugin.stderr_text());
    assert!(!plugin.dir.socket().exists(), "the socket file is removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_cancels_calls_still_running_after_the_grace() {
    let mut plugin = Plugin::start_with(&Env {
        log_level: "debug".into(),
        ..Env::default()
    })
    .await;
    let mut h = header("sleep", json!({"ms": 60_000}));
    h.call_id = "long".into();
    let running = tokio::spawn({
        let mut client = plugin.client();
        async move { client.invoke(InvokeRequest { header: Some(h) }).await }
    });
    wait_for_log(&plugin, "call started", "long").await;
    plugin
        .controller()
        .shutdown(ShutdownRequest { grace_ms: 100 })
        .await
        .unwrap();
    assert_eq!(plugin.wait_exit().code(), Some(0));
    assert!(plugin.stderr_text().contains("grace period is over"));
    // The in-flight call got an answer or lost its connection; it never hangs.
    let _ = running.await.unwrap();
}

/// Waits for the debug line `message` of call `call_id` on stderr.
async fn wait_for_log(plugin: &Plugin, message: &str, call_id: &str) {
    for _ in 0..6000 {
        let seen = plugin
            .stderr_text()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .any(|v| v["message"] == message && v["fields"]["call_id"] == call_id);
        if seen {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "no {message:?} log line for {call_id}; stderr: {}",
        plugin.stderr_text()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stdin_eof_means_the_host_is_gone() {
    let mut plugin = Plugin::start().await;
    drop(plugin.stdin.take());
    assert_eq!(plugin.wait_exit().code(), Some(0));
    assert!(plugin.stderr_text().contains("stdin closed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_shuts_down_gracefully() {
    let mut plugin = Plugin::start().await;
    // SAFETY: kill(2) on the pid of our own child process.
    let rc = unsafe { libc::kill(plugin.child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(rc, 0);
    assert_eq!(plugin.wait_exit().code(), Some(0));
}

fn refused(env: Env) -> (i32, String) {
    let dir = SocketDir::new();
    let mut child = spawn(&env, &dir);
    let status = wait_bounded(&mut child);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(
        stdout.is_empty(),
        "no handshake line when refusing: {stdout}"
    );
    (status.code().unwrap(), stderr)
}

#[test]
fn wrong_or_missing_cookie_exits_3() {
    let (code, stderr) = refused(Env {
        cookie: Some("nope".into()),
        ..Env::default()
    });
    assert_eq!(code, 3);
    assert!(
        stderr.contains("HEDDLE_COOKIE_MISMATCH") && stderr.contains("heddle-host"),
        "{stderr}"
    );
    let (code, _) = refused(Env {
        cookie: None,
        ..Env::default()
    });
    assert_eq!(code, 3);
}

#[test]
fn no_shared_protocol_version_exits_4() {
    let (code, stderr) = refused(Env {
        versions: "2,3".into(),
        ..Env::default()
    });
    assert_eq!(code, 4);
    assert!(
        stderr.contains("HEDDLE_PROTOCOL_MISMATCH")
            && stderr.contains("2,3")
            && stderr.contains("[1]"),
        "{stderr}"
    );
}
