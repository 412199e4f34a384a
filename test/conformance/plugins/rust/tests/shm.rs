//! End to end, shared memory (protocol §8): the plugin runs with a real
//! `HEDDLE_SHM_DIR` under /dev/shm, takes segments the test writes (as the
//! host does) and answers large outputs by handle.

mod support;

use std::sync::Arc;
use std::time::Instant;

use heddle::arrow_array::cast::AsArray;
use heddle::arrow_array::types::Int64Type;
use heddle::arrow_array::*;
use heddle::proto::*;
use heddle::Table;
use serde_json::json;
use support::calls::*;
use support::shm::*;
use support::{Env, Plugin};

fn table(rows: i64) -> Table {
    Table::from_columns(vec![
        (
            "id",
            Arc::new(Int64Array::from_iter_values(0..rows)) as ArrayRef,
        ),
        (
            "label",
            Arc::new(StringArray::from_iter_values(
                (0..rows).map(|i| format!("row-{i}")),
            )) as ArrayRef,
        ),
    ])
    .unwrap()
}

async fn start(dir: &ShmDir) -> Plugin {
    Plugin::start_with(&Env {
        shm_dir: Some(dir.path.clone()),
        ..Env::default()
    })
    .await
}

fn offered() -> HandshakeRequest {
    HandshakeRequest {
        protocol_versions: vec![1],
        capabilities: vec!["streaming".into(), "shm".into()],
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn offers_shm_only_with_a_writable_directory() {
    let dir = ShmDir::new();
    let plugin = start(&dir).await;
    let answer = plugin
        .client()
        .handshake(offered())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.capabilities, vec!["streaming", "shm"]);

    let without = Plugin::start().await;
    let answer = without
        .client()
        .handshake(offered())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.capabilities, vec!["streaming"]);

    let missing = Plugin::start_with(&Env {
        shm_dir: Some(dir.path.join("not-there")),
        ..Env::default()
    })
    .await;
    let answer = missing
        .client()
        .handshake(offered())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.capabilities, vec!["streaming"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn echoes_a_segment_inline_and_streamed() {
    let dir = ShmDir::new();
    let plugin = start(&dir).await;
    let mut client = plugin.client();
    let input = table(5000);
    let segment = dir.segment("host-1", &input);

    let unary = invoke(
        &mut client,
        with_shm_input(header("echo", json!({})), segment.clone()),
    )
    .await;
    assert_eq!(
        output(&unary).to_batch().unwrap(),
        input.to_batch().unwrap()
    );

    let streamed = invoke_stream(
        &mut client,
        with_shm_input(header("echo", json!({})), segment),
        None,
        0,
    )
    .await;
    assert!(
        streamed.result.error.is_none(),
        "{:?}",
        streamed.result.error
    );
    assert_eq!(
        streamed.table.unwrap().to_batch().unwrap(),
        input.to_batch().unwrap()
    );
    // The plugin wrote nothing: no threshold was asked for.
    assert_eq!(dir.files(), vec!["host-1.arrow"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_large_outputs_by_handle_above_the_threshold() {
    let dir = ShmDir::new();
    let plugin = start(&dir).await;
    let mut client = plugin.client();
    let pid = plugin.child.id();

    let mut h = header("generate", json!({"rows": 300_000}));
    h.shm_output_threshold = 1 << 20;
    let unary = invoke(&mut client, h.clone()).await;
    assert!(unary.error.is_none(), "{:?}", unary.error);
    let segment = shm_output(&unary.output);
    assert!(
        segment.segment_id.starts_with(&format!("{pid}-")),
        "{}",
        segment.segment_id
    );
    assert_eq!(
        segment.path,
        dir.path
            .join(format!("{}.arrow", segment.segment_id))
            .to_string_lossy()
    );
    assert_eq!((segment.offset, segment.num_rows), (0, 300_000));
    assert_eq!(unary.stats.unwrap().output_bytes, segment.length);
    let generated = read_output(&segment);
    assert_eq!(generated.num_rows(), 300_000);
    let labels = generated.column("label").unwrap();
    assert_eq!(labels.as_string::<i32>().value(299_999), "row-299999");

    // InvokeStream: no chunks, the result carries the handle.
    let streamed = invoke_stream(&mut client, h, None, 0).await;
    assert!(streamed.chunk_sizes.is_empty() && streamed.table.is_none());
    let second = shm_output(&streamed.result.output);
    assert_ne!(second.segment_id, segment.segment_id);
    assert_eq!(read_output(&second).num_rows(), 300_000);

    // Below the threshold: inline as usual.
    let mut small = header("generate", json!({"rows": 10}));
    small.shm_output_threshold = 1 << 20;
    assert_eq!(output(&invoke(&mut client, small).await).num_rows(), 10);

    // The host owns the files: releasing them answers, the host unlinks.
    let release = ReleaseSegmentsRequest {
        segment_ids: vec![segment.segment_id.clone(), second.segment_id.clone()],
    };
    plugin.controller().release_segments(release).await.unwrap();
    let mut files = vec![
        format!("{}.arrow", segment.segment_id),
        format!("{}.arrow", second.segment_id),
    ];
    files.sort();
    assert_eq!(dir.files(), files);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_segments_get_their_codes_and_the_plugin_keeps_serving() {
    let dir = ShmDir::new();
    let plugin = start(&dir).await;
    let mut client = plugin.client();
    let good = dir.segment("good", &table(100));
    let garbage_path = dir.path.join("garbage.arrow");
    std::fs::write(
        &garbage_path,
        [
            b"ARROW1\0\0".as_slice(),
            &[0xee; 300],
            &77i32.to_le_bytes(),
            b"ARROW1",
        ]
        .concat(),
    )
    .unwrap();
    let no_magic_path = dir.path.join("nomagic.arrow");
    std::fs::write(&no_magic_path, vec![1u8; 512]).unwrap();

    let mut missing = good.clone();
    missing.path = dir.path.join("freed.arrow").to_string_lossy().into_owned();
    let mut misaligned = good.clone();
    misaligned.offset = 32;
    let mut truncated = good.clone();
    truncated.length += 4096;
    let cases = [
        ("missing", missing, "SEGMENT_NOT_FOUND"),
        ("misaligned", misaligned, "SEGMENT_INVALID"),
        ("truncated", truncated, "SEGMENT_INVALID"),
        (
            "no magic",
            handle("nomagic", &no_magic_path, 0),
            "SEGMENT_INVALID",
        ),
        (
            "garbage",
            handle("garbage", &garbage_path, 0),
            "SEGMENT_INVALID",
        ),
    ];
    for (what, segment, expected) in cases {
        let unary = invoke(
            &mut client,
            with_shm_input(header("echo", json!({})), segment.clone()),
        )
        .await;
        let error = error_of(&unary);
        assert_eq!(code(error), expected, "{what}: {}", error.message);
        assert!(
            error.message.contains(&segment.segment_id),
            "{what}: {}",
            error.message
        );
        let streamed = invoke_stream(
            &mut client,
            with_shm_input(header("echo", json!({})), segment),
            None,
            0,
        )
        .await;
        assert_eq!(
            code(streamed.result.error.as_ref().unwrap()),
            expected,
            "{what} (stream)"
        );
    }
    let again = invoke(&mut client, with_shm_input(header("echo", json!({})), good)).await;
    assert_eq!(output(&again).num_rows(), 100);
}

/// ≥ 100 MB in and out by handle, content checked; prints the time of the
/// call by handle next to the same call streamed (run with --nocapture).
#[tokio::test(flavor = "multi_thread")]
async fn moves_a_100_mb_table_by_handle() {
    let dir = ShmDir::new();
    let plugin = start(&dir).await;
    let mut client = plugin.client();
    let rows: i64 = 13_200_000; // 8 bytes a row: 105.6 MB of int64
    let input = Table::from_columns(vec![(
        "id",
        Arc::new(Int64Array::from_iter_values(0..rows)) as ArrayRef,
    )])
    .unwrap();
    let segment = dir.segment("host-big", &input);
    assert!(segment.length >= 100_000_000);

    let mut h = with_shm_input(header("echo", json!({})), segment.clone());
    h.shm_output_threshold = 1 << 20;
    let started = Instant::now();
    let by_handle = invoke(&mut client, h).await;
    let handle_time = started.elapsed();
    let out = shm_output(&by_handle.output);
    assert_eq!(out.num_rows, rows as u64);
    let echoed = read_output(&out);
    let ids = echoed.column("id").unwrap();
    let ids = ids.as_primitive::<Int64Type>();
    assert_eq!(ids.len(), rows as usize);
    assert_eq!(
        ids.values().as_ref(),
        input
            .column("id")
            .unwrap()
            .as_primitive::<Int64Type>()
            .values()
            .as_ref()
    );
    // Echo answers with the segment it was lent (pass-through, §8.2): nothing new to delete.
    assert_eq!(out.path, segment.path);

    let started = Instant::now();
    let streamed = invoke_stream(
        &mut client,
        header("echo", json!({})),
        Some(&input),
        2 << 20,
    )
    .await;
    let stream_time = started.elapsed();
    assert_eq!(streamed.table.unwrap().num_rows(), rows as usize);
    eprintln!(
        "100 MB echo: by handle (shm in, the same segment passed through) {:.1} ms, streamed (chunks in + out) {:.1} ms",
        handle_time.as_secs_f64() * 1e3,
        stream_time.as_secs_f64() * 1e3
    );
}
