//! A 1-row `echo` over the frame lane against the same call over gRPC
//! `Invoke`, from a Rust client on one thread (as a host's event loop), with
//! a raw Unix-socket round trip and a gRPC call that runs no step as
//! baselines; the same echo as an async step (no `block_in_place`
//! hand-off), a 53 MB echo, and throughput with 8 calls in flight on one
//! connection. Ignored: run it on a release build,
//!
//! ```sh
//! cargo test --release --test frames -- --ignored --nocapture bench
//! ```
//!
//! It prints figures and asserts only that every call succeeded.

use std::sync::Arc;
use std::time::{Duration, Instant};

use heddle::bytes::Bytes;
use heddle::proto::{
    data_ref, DataRef, HandshakeRequest, InlineTable, InvokeHeader, InvokeRequest, InvokeResponse,
};
use heddle::sdk::frames::{self, Kind, OutFrame, PREFACE};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use crate::support::{header, ids, streamed, Plugin};

const WARMUP: usize = 2_000;
const SEQUENTIAL: usize = 20_000;
const IN_FLIGHT: usize = 8;
const PER_CALLER: usize = 5_000;

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Prints p50/p90/p99 and the rate of sequential calls.
fn report(what: &str, mut samples: Vec<Duration>, elapsed: Duration) {
    samples.sort_unstable();
    let at = |p: f64| micros(samples[((samples.len() - 1) as f64 * p).round() as usize]);
    println!(
        "{what}: {} calls, p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, {:.0} calls/s",
        samples.len(),
        at(0.50),
        at(0.90),
        at(0.99),
        samples.len() as f64 / elapsed.as_secs_f64()
    );
}

/// Times `SEQUENTIAL` runs of the block, one after the other; gives the
/// samples and the total time.
macro_rules! sequential {
    ($body:expr) => {{
        let mut samples = Vec::with_capacity(SEQUENTIAL);
        let started = Instant::now();
        for _ in 0..SEQUENTIAL {
            let t = Instant::now();
            $body;
            samples.push(t.elapsed());
        }
        (samples, started.elapsed())
    }};
}

/// One frame connection used strictly call-by-call: write, then read the
/// result, on the caller's task (no dispatch task in between).
struct Sequential {
    reader: BufReader<tokio::net::unix::OwnedReadHalf>,
    writer: tokio::net::unix::OwnedWriteHalf,
}

impl Sequential {
    async fn connect(plugin: &Plugin) -> Self {
        let stream = UnixStream::connect(plugin.frames_path()).await.unwrap();
        let (read, mut writer) = stream.into_split();
        writer.write_all(&PREFACE).await.unwrap();
        Sequential {
            reader: BufReader::new(read),
            writer,
        }
    }

    async fn call(&mut self, header: &InvokeHeader, payload: &Bytes) -> InvokeResponse {
        let frame = OutFrame::new(Kind::Call, 1, header, payload.clone()).unwrap();
        frames::write_frames(&mut self.writer, &[frame])
            .await
            .unwrap();
        let result = frames::read_frame::<InvokeResponse, _>(&mut self.reader, Kind::Result)
            .await
            .unwrap()
            .expect("a result");
        result.message
    }
}

/// A raw round trip of `size` bytes over a Unix socket pair to an echo on
/// another thread: the floor any socket protocol pays.
async fn raw_round_trips(size: usize) -> (Vec<Duration>, Duration) {
    let (near, far) = std::os::unix::net::UnixStream::pair().unwrap();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        let mut far = far;
        let mut buffer = vec![0u8; size];
        while far.read_exact(&mut buffer).is_ok() {
            if far.write_all(&buffer).is_err() {
                break;
            }
        }
    });
    near.set_nonblocking(true).unwrap();
    let mut near = UnixStream::from_std(near).unwrap();
    let message = vec![7u8; size];
    let mut back = vec![0u8; size];
    for _ in 0..WARMUP {
        near.write_all(&message).await.unwrap();
        near.read_exact(&mut back).await.unwrap();
    }
    sequential!({
        near.write_all(&message).await.unwrap();
        near.read_exact(&mut back).await.unwrap();
    })
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "a benchmark: cargo test --release --test frames -- --ignored --nocapture bench"]
async fn bench_echo_frames_vs_grpc() {
    // At `info`, as a host runs plugins: no line per call.
    let plugin = Plugin::start_with(false, "info").await;
    let input = ids(1).to_ipc().unwrap();
    let call = streamed(header("echo", json!({})), &input);
    let mut lane = Sequential::connect(&plugin).await;
    let frame_len = OutFrame::new(Kind::Call, 1, &call, input.clone())
        .unwrap()
        .len();
    println!("1-row echo: call frame {frame_len} bytes");

    let (samples, elapsed) = raw_round_trips(frame_len).await;
    report(
        "raw Unix-socket round trip (same size, thread echo)",
        samples,
        elapsed,
    );

    for _ in 0..WARMUP {
        assert!(lane.call(&call, &input).await.error.is_none());
    }
    let mut inside = Vec::with_capacity(SEQUENTIAL);
    let (samples, elapsed) = sequential!({
        let response = lane.call(&call, &input).await;
        assert!(response.error.is_none());
        inside.push(Duration::from_micros(response.stats.unwrap().duration_us));
    });
    report("frames echo(1 row), sequential", samples, elapsed);
    inside.sort_unstable();
    println!(
        "  of which in the plugin from the prefix read to the result built (stats.duration_us): p50 {:.0} µs",
        micros(inside[inside.len() / 2])
    );

    let call_async = streamed(header("echo_async", json!({})), &input);
    let mut inside = Vec::with_capacity(SEQUENTIAL);
    let (samples, elapsed) = sequential!({
        let response = lane.call(&call_async, &input).await;
        assert!(response.error.is_none());
        inside.push(Duration::from_micros(response.stats.unwrap().duration_us));
    });
    report("frames echo_async(1 row), sequential", samples, elapsed);
    inside.sort_unstable();
    println!(
        "  in the plugin: p50 {:.0} µs",
        micros(inside[inside.len() / 2])
    );

    // The same call over gRPC: the input inline in the header.
    let mut client = plugin.client();
    let mut unary = call.clone();
    unary.input = Some(DataRef {
        kind: Some(data_ref::Kind::Inline(InlineTable {
            ipc: input.clone(),
            num_rows: 1,
        })),
    });
    let request = InvokeRequest {
        header: Some(unary),
    };
    for _ in 0..WARMUP {
        client.invoke(request.clone()).await.unwrap();
    }
    let hello = HandshakeRequest {
        protocol_versions: vec![1],
        ..Default::default()
    };
    let (samples, elapsed) = sequential!(client.handshake(hello.clone()).await.unwrap());
    report(
        "gRPC Handshake (transport, no step), sequential",
        samples,
        elapsed,
    );
    let (samples, elapsed) = sequential!({
        let response = client.invoke(request.clone()).await.unwrap().into_inner();
        assert!(response.error.is_none());
    });
    report("gRPC Invoke echo(1 row), sequential", samples, elapsed);

    // A large table: 56 MB of int64 in and out, whole in one frame each way.
    let large = ids(7_000_000).to_ipc().unwrap();
    let large_call = streamed(header("echo", json!({})), &large);
    let mut times = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        assert!(lane.call(&large_call, &large).await.error.is_none());
        times.push(t.elapsed());
    }
    times.sort_unstable();
    println!(
        "frames echo of {} MB in and out (encoding included): median {:.1} ms",
        large.len() >> 20,
        times[2].as_secs_f64() * 1e3
    );

    // Throughput: IN_FLIGHT callers sharing one frame connection.
    let shared = Arc::new(plugin.frames().await);
    let started = Instant::now();
    let mut callers = Vec::new();
    for _ in 0..IN_FLIGHT {
        let (shared, call, input) = (shared.clone(), call.clone(), input.clone());
        callers.push(tokio::spawn(async move {
            for _ in 0..PER_CALLER {
                let frame = shared.call(&call, input.clone()).await;
                assert!(frame.message.error.is_none());
            }
        }));
    }
    for caller in callers {
        caller.await.unwrap();
    }
    let shared_rate = (IN_FLIGHT * PER_CALLER) as f64 / started.elapsed().as_secs_f64();
    println!(
        "frames echo(1 row), {IN_FLIGHT} in flight on one connection: {shared_rate:.0} calls/s"
    );
}
