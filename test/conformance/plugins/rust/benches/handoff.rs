//! Handoff benchmark (protocol §8): the time of one call whose input is a
//! table of 1 MiB / 100 MiB sent by shared-memory handle vs. streamed in
//! 2 MiB chunks, to `count` (tiny output: the input handoff alone) and to
//! `echo` (the same table back: by handle, or streamed). Median of a few
//! runs each; prints one line per measurement.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use heddle::arrow_array::{ArrayRef, Int64Array};
use heddle::Table;
use serde_json::json;
use support::calls::{header, invoke, invoke_stream, open, with_resources};
use support::shm::{shm_output, with_shm_input, ShmDir};
use support::{Env, Plugin};

const RUNS: usize = 5;

fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort_unstable();
    samples[samples.len() / 2].as_secs_f64() * 1e3
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = ShmDir::new();
        let plugin = Plugin::start_with(&Env { shm_dir: Some(dir.path.clone()), ..Env::default() }).await;
        let mut client = plugin.client();
        let counter = open(&mut client, "counter", json!({})).await;
        for mib in [1usize, 100] {
            let rows = (mib << 20) / 8;
            let input = Table::from_columns(vec![("id", Arc::new(Int64Array::from_iter_values(0..rows as i64)) as ArrayRef)]).unwrap();
            let segment = dir.segment(&format!("bench-{mib}"), &input);
            let count = || with_resources(header("count", json!({})), &[("counter", counter.as_str())]);
            let (mut shm_count, mut stream_count, mut shm_echo, mut stream_echo) = (vec![], vec![], vec![], vec![]);
            for _ in 0..RUNS {
                let t = Instant::now();
                let answer = invoke(&mut client, with_shm_input(count(), segment.clone())).await;
                shm_count.push(t.elapsed());
                assert!(answer.error.is_none(), "{:?}", answer.error);

                let t = Instant::now();
                let answer = invoke_stream(&mut client, count(), Some(&input), 2 << 20).await;
                stream_count.push(t.elapsed());
                assert!(answer.result.error.is_none());

                let mut h = with_shm_input(header("echo", json!({})), segment.clone());
                h.shm_output_threshold = 1 << 20;
                let t = Instant::now();
                let answer = invoke(&mut client, h).await;
                shm_echo.push(t.elapsed());
                // Echo passes its input segment through (§8.2): only a new segment is ours to delete.
                let out = shm_output(&answer.output);
                if out.segment_id != segment.segment_id {
                    std::fs::remove_file(out.path).unwrap();
                }

                let t = Instant::now();
                let answer = invoke_stream(&mut client, header("echo", json!({})), Some(&input), 2 << 20).await;
                stream_echo.push(t.elapsed());
                assert_eq!(answer.table.unwrap().num_rows(), rows);
            }
            println!(
                "{mib:>3} MiB  count: by handle {:.2} ms, streamed {:.2} ms | echo: by handle in+out {:.2} ms, streamed in+out {:.2} ms",
                median(shm_count), median(stream_count), median(shm_echo), median(stream_echo)
            );
        }
    });
}
