//! Round-trip benchmark of small calls: a Rust tonic client calls `echo`
//! with a 1-row table on the conformance plugin over its Unix socket.
//! Sequential calls give the latency distribution; concurrent clients give
//! throughput. Bounded in count; prints one summary line per measurement.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use heddle::arrow_array::{ArrayRef, Int64Array};
use heddle::proto::{HandshakeRequest, InvokeRequest};
use heddle::Table;
use serde_json::json;
use support::calls::{header, with_input};
use support::Plugin;

const WARMUP: usize = 2_000;
const SEQUENTIAL: usize = 20_000;
const CONCURRENCY: usize = 8;
const PER_CLIENT: usize = 5_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    // One client thread, as a host's event loop: the latency measured is the
    // plugin's and the transport's, not cross-thread wake-ups in the client.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let plugin = Plugin::start().await;
        let input = Table::from_columns(vec![("id", Arc::new(Int64Array::from(vec![1])) as ArrayRef)]).unwrap();
        let request = InvokeRequest { header: Some(with_input(header("echo", json!({})), &input)) };
        let mut client = plugin.client();
        for _ in 0..WARMUP {
            client.invoke(request.clone()).await.unwrap();
        }

        // Baseline: the transport alone (Handshake runs no step code).
        let hello = HandshakeRequest { protocol_versions: vec![1], ..Default::default() };
        let mut baseline = Vec::with_capacity(SEQUENTIAL);
        for _ in 0..SEQUENTIAL {
            let t = Instant::now();
            client.handshake(hello.clone()).await.unwrap();
            baseline.push(t.elapsed());
        }
        baseline.sort_unstable();
        println!(
            "sequential handshake (transport only): p50 {:.1} µs, p99 {:.1} µs",
            percentile(&baseline, 0.50).as_secs_f64() * 1e6,
            percentile(&baseline, 0.99).as_secs_f64() * 1e6
        );

        let mut samples = Vec::with_capacity(SEQUENTIAL);
        let started = Instant::now();
        for _ in 0..SEQUENTIAL {
            let t = Instant::now();
            let response = client.invoke(request.clone()).await.unwrap().into_inner();
            samples.push(t.elapsed());
            assert!(response.error.is_none());
        }
        let elapsed = started.elapsed();
        samples.sort_unstable();
        println!(
            "sequential echo(1 row): {SEQUENTIAL} calls, p50 {:.1} µs, p90 {:.1} µs, p99 {:.1} µs, {:.0} calls/s",
            percentile(&samples, 0.50).as_secs_f64() * 1e6,
            percentile(&samples, 0.90).as_secs_f64() * 1e6,
            percentile(&samples, 0.99).as_secs_f64() * 1e6,
            SEQUENTIAL as f64 / elapsed.as_secs_f64()
        );

        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..CONCURRENCY {
            let mut client = plugin.client();
            let request = request.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..PER_CLIENT {
                    client.invoke(request.clone()).await.unwrap();
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let total = CONCURRENCY * PER_CLIENT;
        println!(
            "concurrent echo(1 row): {CONCURRENCY} callers x {PER_CLIENT} calls, {:.0} calls/s",
            total as f64 / started.elapsed().as_secs_f64()
        );
    });
}
