//! End to end: InvokeStream (large outputs, chunked inputs), the Heimdall
//! command, and concurrent calls on one plugin process.

mod support;

use std::sync::Arc;

use heddle::arrow_array::cast::AsArray;
use heddle::arrow_array::types::Int64Type;
use heddle::arrow_array::*;
use heddle::proto::*;
use heddle::Table;
use serde_json::json;
use support::calls::*;
use support::Plugin;

fn ids(values: &[i64]) -> Table {
    Table::from_columns(vec![(
        "id",
        Arc::new(Int64Array::from(values.to_vec())) as ArrayRef,
    )])
    .unwrap()
}

fn every_type() -> Table {
    Table::from_columns(vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef),
        (
            "name",
            Arc::new(StringArray::from(vec![Some("a"), None, Some("ünïcödé ✓")])) as ArrayRef,
        ),
        (
            "score",
            Arc::new(Float64Array::from(vec![Some(1.5), None, Some(-0.25)])) as ArrayRef,
        ),
        (
            "ok",
            Arc::new(BooleanArray::from(vec![Some(true), Some(false), None])) as ArrayRef,
        ),
        (
            "small",
            Arc::new(Int32Array::from(vec![Some(7), None, Some(-1)])) as ArrayRef,
        ),
        (
            "at",
            Arc::new(TimestampMillisecondArray::from(vec![
                Some(1_700_000_000_000),
                None,
                Some(0),
            ])) as ArrayRef,
        ),
    ])
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn streams_large_outputs_and_chunked_inputs() {
    let plugin = Plugin::start().await;
    let mut client = plugin.client();

    let streamed = invoke_stream(
        &mut client,
        header("generate", json!({"rows": 400_000})),
        None,
        0,
    )
    .await;
    assert!(
        streamed.result.error.is_none(),
        "{:?}",
        streamed.result.error
    );
    assert!(matches!(
        streamed.result.output.as_ref().unwrap().kind,
        Some(data_ref::Kind::Streamed(_))
    ));
    assert!(
        streamed.chunk_sizes.len() > 1
            && streamed.chunk_sizes.iter().all(|&n| n <= 2 * 1024 * 1024)
    );
    let table = streamed.table.unwrap();
    assert_eq!(table.num_rows(), 400_000);
    assert_eq!(streamed.result.stats.unwrap().output_rows, 400_000);
    let labels = table.column("label").unwrap();
    assert_eq!(labels.as_string::<i32>().value(399_999), "row-399999");

    let input = every_type();
    let echoed = invoke_stream(&mut client, header("echo", json!({})), Some(&input), 100).await;
    assert_eq!(
        echoed.table.unwrap().to_batch().unwrap(),
        input.to_batch().unwrap()
    );

    let failed = invoke_stream(
        &mut client,
        header("fail", json!({"message": "boom 123"})),
        None,
        0,
    )
    .await;
    assert_eq!(code(failed.result.error.as_ref().unwrap()), "STEP_FAILED");
    assert!(failed.table.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_the_ping_command() {
    let plugin = Plugin::start().await;
    let mut client = plugin.client();
    let request = RunCommandRequest {
        call_id: "cmd-1".into(),
        command: "ping".into(),
        context_json: r#"{"message":"hi"}"#.into(),
        ..Default::default()
    };
    let mut events = client.run_command(request).await.unwrap().into_inner();
    let (mut lines, mut ipc, mut status) = (Vec::new(), Vec::new(), None);
    while let Some(event) = events.message().await.unwrap() {
        match event.event.unwrap() {
            run_command_response::Event::StdoutLine(l) => lines.push(format!("out:{l}")),
            run_command_response::Event::StderrLine(l) => lines.push(format!("err:{l}")),
            run_command_response::Event::ResultChunk(c) => ipc.extend_from_slice(&c.data),
            run_command_response::Event::Status(s) => status = Some(s),
        }
    }
    assert_eq!(lines, ["out:ping", "err:ping-err"]);
    let status = status.unwrap();
    assert_eq!(
        (status.state, status.exit_code),
        (CommandState::Succeeded as i32, 0)
    );
    let table = Table::from_ipc(ipc.into()).unwrap();
    assert_eq!(
        table.column("message").unwrap().as_string::<i32>().value(0),
        "hi"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serves_concurrent_calls() {
    let plugin = Plugin::start().await;
    let mut tasks = Vec::new();
    for i in 0..32 {
        let mut client = plugin.client();
        tasks.push(tokio::spawn(async move {
            let out = output(&call(&mut client, "echo", json!({}), Some(&ids(&[i]))).await);
            out.column("id")
                .unwrap()
                .as_primitive::<Int64Type>()
                .value(0)
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        assert_eq!(task.await.unwrap(), i as i64);
    }
}
