//! Calls over the frame lane: outputs, the checks in protocol order, fused
//! stages, shared memory, concurrency and a large payload.

use std::fs::File;

use arrow_ipc::reader::FileReader;
use heddle::arrow_array::cast::AsArray;
use heddle::arrow_array::types::Int64Type;
use heddle::bytes::Bytes;
use heddle::core::errors::code_name;
use heddle::core::shm::ShmDir;
use heddle::proto::*;
use heddle::{ErrorCode, Table};
use serde_json::json;

use crate::support::{header, ids, streamed, Plugin};

fn code(response: &InvokeResponse) -> &'static str {
    let error = response.error.as_ref().expect("an error");
    code_name(ErrorCode::try_from(error.code).unwrap())
}

/// The output table of a successful result: the payload, `streamed`.
fn output(frame: &heddle::sdk::frames::Frame<InvokeResponse>) -> Table {
    let response = &frame.message;
    assert!(
        response.error.is_none(),
        "unexpected error: {:?}",
        response.error
    );
    match response.output.as_ref().and_then(|o| o.kind.as_ref()) {
        Some(data_ref::Kind::Streamed(s)) => assert_eq!(s.total_bytes, frame.payload.len() as u64),
        other => panic!("expected a streamed output, got {other:?}"),
    }
    Table::from_ipc(frame.payload.clone()).unwrap()
}

fn id_values(table: &Table) -> Vec<i64> {
    let column = table.column("id").unwrap();
    column.as_primitive::<Int64Type>().values().to_vec()
}

#[tokio::test(flavor = "multi_thread")]
async fn offers_frames_only_to_a_host_that_offers_it() {
    let plugin = Plugin::start().await;
    let mut client = plugin.client();
    let ask = |capabilities: Vec<String>| HandshakeRequest {
        protocol_versions: vec![1],
        capabilities,
        ..Default::default()
    };
    let with = client
        .handshake(ask(vec!["streaming".into(), "frames".into()]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(with.capabilities, vec!["streaming", "frames"]);
    let without = client
        .handshake(ask(vec!["streaming".into()]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(without.capabilities, vec!["streaming"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn echoes_tables_and_answers_sinks_and_inline_inputs() {
    let plugin = Plugin::start().await;
    let lane = plugin.frames().await;
    let input = ids(3).to_ipc().unwrap();
    let frame = lane
        .call(&streamed(header("echo", json!({})), &input), input.clone())
        .await;
    assert_eq!(id_values(&output(&frame)), vec![0, 1, 2]);
    let stats = frame.message.stats.unwrap();
    assert_eq!(
        (stats.output_rows, stats.output_bytes),
        (3, frame.payload.len() as u64)
    );

    let sink = lane
        .call(&streamed(header("sink", json!({})), &input), input.clone())
        .await;
    assert!(sink.message.error.is_none() && sink.message.output.is_none());
    assert!(sink.payload.is_empty());

    // An inline input in the header is allowed (empty payload).
    let mut inline = header("echo", json!({}));
    inline.input = Some(DataRef {
        kind: Some(data_ref::Kind::Inline(InlineTable {
            ipc: input.clone(),
            num_rows: 3,
        })),
    });
    assert_eq!(
        id_values(&output(&lane.call(&inline, Bytes::new()).await)),
        vec![0, 1, 2]
    );

    // A source with no input at all.
    let strict = lane
        .call(&header("strict", json!({"count": 4})), Bytes::new())
        .await;
    assert_eq!(output(&strict).num_rows(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn checks_answer_in_protocol_order() {
    let plugin = Plugin::start().await;
    let lane = plugin.frames().await;
    let garbage = Bytes::from_static(b"not arrow at all");

    // Unknown step first, even with an undecodable payload.
    let unknown = lane
        .call(
            &streamed(header("nope", json!({})), &garbage),
            garbage.clone(),
        )
        .await;
    assert_eq!(code(&unknown.message), "UNKNOWN_STEP");
    assert_eq!(
        unknown.message.error.as_ref().unwrap().component,
        "frametest.nope"
    );
    assert!(unknown.payload.is_empty());

    let invalid = lane
        .call(&header("strict", json!({"count": 0})), Bytes::new())
        .await;
    assert_eq!(code(&invalid.message), "INVALID_CONFIG");
    let error = invalid.message.error.unwrap();
    assert_eq!(error.field, "/count");
    assert!(error.message.contains("/count"), "{}", error.message);

    // Config before input.
    let config_first = lane
        .call(
            &streamed(header("echo", json!({"x": 1})), &garbage),
            garbage.clone(),
        )
        .await;
    assert_eq!(code(&config_first.message), "INVALID_CONFIG");

    let bad_input = lane
        .call(
            &streamed(header("echo", json!({})), &garbage),
            garbage.clone(),
        )
        .await;
    assert_eq!(code(&bad_input.message), "INVALID_INPUT");
    let missing = lane.call(&header("echo", json!({})), Bytes::new()).await;
    assert_eq!(code(&missing.message), "INVALID_INPUT");
    // A payload the header does not announce as `streamed` is refused (§5.5).
    let unannounced = lane.call(&header("echo", json!({})), garbage.clone()).await;
    assert_eq!(code(&unannounced.message), "INVALID_INPUT");
    let message = &unannounced.message.error.as_ref().unwrap().message;
    assert!(
        message.contains("announces the input as absent"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fused_stages_run_in_one_call() {
    let plugin = Plugin::start().await;
    let lane = plugin.frames().await;
    let input = ids(2).to_ipc().unwrap();
    let stage = |config: serde_json::Value| InvokeStage {
        step: "add_column".into(),
        config_json: config.to_string(),
        ..Default::default()
    };
    let mut fused = streamed(header("echo", json!({})), &input);
    fused.then = vec![
        stage(json!({"name": "tag", "value": "x"})),
        InvokeStage {
            step: "echo".into(),
            config_json: "{}".into(),
            ..Default::default()
        },
    ];
    let table = output(&lane.call(&fused, input.clone()).await);
    assert_eq!(table.column_names(), vec!["id", "tag"]);
    assert_eq!(table.num_rows(), 2);

    // A bad stage is found before anything runs and is named.
    fused.then = vec![stage(json!({"name": "tag"}))];
    let bad = lane.call(&fused, input).await;
    assert_eq!(code(&bad.message), "INVALID_CONFIG");
    assert_eq!(bad.message.error.unwrap().component, "frametest.add_column");
}

#[tokio::test(flavor = "multi_thread")]
async fn shared_memory_inputs_and_outputs() {
    let plugin = Plugin::start_with(true, "debug").await;
    let lane = plugin.frames().await;
    let shm = ShmDir::usable(&plugin.shm.as_ref().unwrap().path).unwrap();
    let segment = shm.write(&ids(1000)).unwrap();

    // In by handle, out by handle past the threshold: no payload either way.
    // An echo answers with the input's own segment (pass-through, §8.2;
    // `passthrough.rs` covers it on every lane).
    let mut call = header("echo", json!({}));
    call.input = Some(DataRef {
        kind: Some(data_ref::Kind::Shm(segment.clone())),
    });
    call.shm_output_threshold = 1;
    let frame = lane.call(&call, Bytes::new()).await;
    assert!(frame.message.error.is_none(), "{:?}", frame.message.error);
    assert!(frame.payload.is_empty());
    let Some(data_ref::Kind::Shm(out)) = frame.message.output.and_then(|o| o.kind) else {
        panic!("expected an output by handle");
    };
    assert_eq!(out, segment);

    // A step that changes the table writes a new segment of this plugin.
    let mut changed = call.clone();
    changed.step = "add_column".into();
    changed.config_json = json!({"name": "tag", "value": "x"}).to_string();
    let frame = lane.call(&changed, Bytes::new()).await;
    assert!(frame.message.error.is_none(), "{:?}", frame.message.error);
    assert!(frame.payload.is_empty());
    let Some(data_ref::Kind::Shm(out)) = frame.message.output.and_then(|o| o.kind) else {
        panic!("expected an output by handle");
    };
    assert_eq!(out.num_rows, 1000);
    assert!(out
        .segment_id
        .starts_with(&format!("{}-", plugin.child.id())));
    let reader = FileReader::try_new(File::open(&out.path).unwrap(), None).unwrap();
    let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, 1000);

    // In by handle, out as the payload (under the threshold).
    call.shm_output_threshold = 0;
    assert_eq!(
        output(&lane.call(&call, Bytes::new()).await).num_rows(),
        1000
    );

    // A handle and a payload at once is refused; a missing segment is named.
    let payload = ids(1).to_ipc().unwrap();
    assert_eq!(
        code(&lane.call(&call, payload).await.message),
        "INVALID_INPUT"
    );
    let mut gone = segment;
    gone.path = format!("{}/missing.arrow", shm.path().display());
    call.input = Some(DataRef {
        kind: Some(data_ref::Kind::Shm(gone)),
    });
    assert_eq!(
        code(&lane.call(&call, Bytes::new()).await.message),
        "SEGMENT_NOT_FOUND"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_calls_are_answered_as_they_finish() {
    let plugin = Plugin::start().await;
    let lane = plugin.frames().await;
    let (slow_no, slow) = lane
        .send(&header("sleep", json!({"ms": 400})), Bytes::new())
        .await;
    let input = ids(1).to_ipc().unwrap();
    let mut quick = Vec::new();
    for _ in 0..50 {
        quick.push(
            lane.send(&streamed(header("echo", json!({})), &input), input.clone())
                .await,
        );
    }
    for (call_no, result) in quick {
        let frame = result.await.unwrap();
        assert_eq!(frame.call_no, call_no);
        assert_eq!(output(&frame).num_rows(), 1);
    }
    let slow = slow.await.unwrap();
    assert!(output(&slow).num_rows() == 1);
    let arrivals = lane.arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 51);
    assert_eq!(
        *arrivals.last().unwrap(),
        slow_no,
        "the slow call, sent first, is answered last"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn large_payloads_round_trip() {
    let plugin = Plugin::start().await;
    let lane = plugin.frames().await;
    let rows = 7_000_000; // 56 MB of int64
    let input = ids(rows).to_ipc().unwrap();
    assert!(input.len() >= 50 << 20);
    let frame = lane
        .call(&streamed(header("echo", json!({})), &input), input.clone())
        .await;
    let table = output(&frame);
    assert_eq!(table.num_rows() as i64, rows);
    let values = id_values(&table);
    assert_eq!((values[0], values[rows as usize - 1]), (0, rows - 1));
    assert!(values.iter().enumerate().all(|(i, v)| *v == i as i64));
    // The connection still serves small calls after it.
    let small = ids(1).to_ipc().unwrap();
    let again = lane
        .call(&streamed(header("echo", json!({})), &small), small.clone())
        .await;
    assert_eq!(output(&again).num_rows(), 1);
}
