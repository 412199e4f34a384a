//! Segment pass-through (protocol §8.2): an input lent by handle and
//! returned unchanged is answered with the input's own handle on every lane
//! (unary `Invoke`, `InvokeStream`, the frame lane) and in fused calls,
//! without a new file in `HEDDLE_SHM_DIR`; a step that changes the table
//! still answers with a new segment, and an input under the threshold (or
//! no threshold) is answered by value as before.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use arrow_ipc::reader::FileReader;
use heddle::arrow_array::cast::AsArray;
use heddle::arrow_array::types::Int64Type;
use heddle::bytes::Bytes;
use heddle::core::shm::ShmDir;
use heddle::proto::*;
use serde_json::json;

use crate::support::{header, ids, FrameClient, Plugin};

/// The lanes a call can take, each answering with one `InvokeResponse`.
const LANES: [&str; 3] = ["invoke", "invoke_stream", "frames"];

/// Runs `call` on `lane` and returns the response; an output by handle must
/// come alone (no chunks, no payload).
async fn call_on(
    lane: &str,
    plugin: &Plugin,
    frames: &FrameClient,
    call: &InvokeHeader,
) -> InvokeResponse {
    match lane {
        "invoke" => {
            let request = InvokeRequest {
                header: Some(call.clone()),
            };
            plugin.client().invoke(request).await.unwrap().into_inner()
        }
        "invoke_stream" => {
            let request = InvokeStreamRequest {
                msg: Some(invoke_stream_request::Msg::Header(call.clone())),
            };
            let mut responses = plugin
                .client()
                .invoke_stream(tokio_stream::iter(vec![request]))
                .await
                .unwrap()
                .into_inner();
            let mut chunks = 0;
            loop {
                match responses.message().await.unwrap().and_then(|r| r.msg) {
                    Some(invoke_stream_response::Msg::Chunk(_)) => chunks += 1,
                    Some(invoke_stream_response::Msg::Result(result)) => {
                        if is_shm(&result) {
                            assert_eq!(chunks, 0, "chunks before an output by handle");
                        }
                        return result;
                    }
                    None => panic!("the stream ended without a result"),
                }
            }
        }
        _ => {
            let frame = frames.call(call, Bytes::new()).await;
            if is_shm(&frame.message) {
                assert!(frame.payload.is_empty(), "a payload beside a handle");
            }
            frame.message
        }
    }
}

fn is_shm(response: &InvokeResponse) -> bool {
    matches!(
        response.output.as_ref().and_then(|o| o.kind.as_ref()),
        Some(data_ref::Kind::Shm(_))
    )
}

/// The handle a successful response answers with.
fn handle_of(lane: &str, response: &InvokeResponse) -> SharedMemoryRef {
    assert!(response.error.is_none(), "{lane}: {:?}", response.error);
    match response.output.as_ref().and_then(|o| o.kind.as_ref()) {
        Some(data_ref::Kind::Shm(segment)) => segment.clone(),
        other => panic!("{lane}: expected an output by handle, got {other:?}"),
    }
}

/// Writes `rows` ids as a segment the way a host lends one, at offset 64 of
/// its file (a handle's offset need not be 0), named like a host's segment.
fn lend(dir: &Path, rows: i64) -> SharedMemoryRef {
    let scratch = std::env::temp_dir().join(format!("hf-lend-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let written = ShmDir::usable(&scratch).unwrap().write(&ids(rows)).unwrap();
    let ipc = std::fs::read(&written.path).unwrap();
    let _ = std::fs::remove_dir_all(&scratch);
    let path = dir.join("host-lent.arrow");
    let mut file = File::create(&path).unwrap();
    file.write_all(&[0u8; 64]).unwrap();
    file.write_all(&ipc).unwrap();
    SharedMemoryRef {
        segment_id: "host-lent".into(),
        path: path.to_string_lossy().into_owned(),
        offset: 64,
        length: ipc.len() as u64,
        num_rows: rows as u64,
    }
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn by_handle(
    step: &str,
    config: serde_json::Value,
    segment: &SharedMemoryRef,
    threshold: u64,
) -> InvokeHeader {
    let mut call = header(step, config);
    call.input = Some(DataRef {
        kind: Some(data_ref::Kind::Shm(segment.clone())),
    });
    call.shm_output_threshold = threshold;
    call
}

fn stage(step: &str, config: serde_json::Value) -> InvokeStage {
    InvokeStage {
        step: step.into(),
        config_json: config.to_string(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unchanged_input_goes_back_as_its_own_segment() {
    let plugin = Plugin::start_with(true, "info").await;
    let frames = plugin.frames().await;
    let dir = plugin.shm.as_ref().unwrap().path.clone();
    let lent = lend(&dir, 1000);
    let threshold = 1024;
    assert!(lent.length >= threshold);

    let mut fused = by_handle("echo", json!({}), &lent, threshold);
    fused.then = vec![stage("echo_async", json!({})), stage("echo", json!({}))];
    let calls = [
        ("echo", by_handle("echo", json!({}), &lent, threshold)),
        (
            "echo_async",
            by_handle("echo_async", json!({}), &lent, threshold),
        ),
        ("fused echoes", fused),
    ];
    for lane in LANES {
        for (what, call) in &calls {
            let response = call_on(lane, &plugin, &frames, call).await;
            let out = handle_of(lane, &response);
            let what = format!("{what} on {lane}");
            assert_eq!(
                (&out.segment_id, &out.path, out.offset, out.length),
                (&lent.segment_id, &lent.path, lent.offset, lent.length),
                "{what}"
            );
            assert_eq!(out.num_rows, 1000, "{what}");
            let stats = response.stats.unwrap();
            assert_eq!(
                (stats.output_rows, stats.output_bytes),
                (1000, lent.length),
                "{what}"
            );
        }
    }
    // Nothing was written or removed: the lent segment is the only file.
    assert_eq!(files(&dir), vec!["host-lent.arrow"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_table_gets_a_new_segment() {
    let plugin = Plugin::start_with(true, "info").await;
    let frames = plugin.frames().await;
    let dir = plugin.shm.as_ref().unwrap().path.clone();
    let lent = lend(&dir, 1000);
    let tag = json!({"name": "tag", "value": "x"});

    let mut fused = by_handle("echo", json!({}), &lent, 1);
    fused.then = vec![stage("add_column", tag.clone()), stage("echo", json!({}))];
    let calls = [
        ("add_column", by_handle("add_column", tag.clone(), &lent, 1)),
        ("fused", fused),
    ];
    for lane in LANES {
        for (what, call) in &calls {
            let out = handle_of(lane, &call_on(lane, &plugin, &frames, call).await);
            let what = format!("{what} on {lane}");
            assert!(
                out.segment_id
                    .starts_with(&format!("{}-", plugin.child.id())),
                "{what}: {}",
                out.segment_id
            );
            assert_eq!(
                out.path,
                dir.join(format!("{}.arrow", out.segment_id))
                    .to_string_lossy(),
                "{what}"
            );
            let reader = FileReader::try_new(File::open(&out.path).unwrap(), None).unwrap();
            let batches: Vec<_> = reader.map(|b| b.unwrap()).collect();
            let schema = batches[0].schema();
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            assert_eq!(names, vec!["id", "tag"], "{what}");
            let ids = batches[0].column(0).as_primitive::<Int64Type>();
            assert_eq!((ids.value(0), ids.value(999)), (0, 999), "{what}");
            assert_eq!(out.num_rows, 1000, "{what}");
            // The host owns it now; it would unlink it when done.
            std::fs::remove_file(&out.path).unwrap();
        }
    }
    assert_eq!(files(&dir), vec!["host-lent.arrow"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_outputs_by_handle_an_echo_answers_by_value() {
    let plugin = Plugin::start_with(true, "info").await;
    let frames = plugin.frames().await;
    let dir = plugin.shm.as_ref().unwrap().path.clone();
    let lent = lend(&dir, 1000);
    // No threshold, and a threshold above the segment's length.
    for threshold in [0, lent.length * 4] {
        let call = by_handle("echo", json!({}), &lent, threshold);
        for lane in LANES {
            let response = call_on(lane, &plugin, &frames, &call).await;
            assert!(response.error.is_none(), "{lane}: {:?}", response.error);
            assert!(
                !is_shm(&response),
                "{lane} with threshold {threshold}: {:?}",
                response.output
            );
            assert_eq!(response.stats.unwrap().output_rows, 1000, "{lane}");
        }
    }
    assert_eq!(files(&dir), vec!["host-lent.arrow"]);
}
