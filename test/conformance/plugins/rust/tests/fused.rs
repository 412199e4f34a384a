//! End to end: fused calls (protocol §5.4), a step plus `InvokeHeader.then`
//! stages in one call, against the real conformance plugin process. Between
//! stages the SDK moves the `Table` by value (no IPC, no copy): the type
//! system guarantees it in `heddle::sdk::invoke::run`.

mod support;

use std::sync::Arc;

use heddle::arrow_array::*;
use heddle::proto::*;
use heddle::Table;
use serde_json::{json, Value};
use support::calls::*;
use support::shm::*;
use support::{Env, Plugin};

fn scores() -> Table {
    Table::from_columns(vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef),
        (
            "score",
            Arc::new(Float64Array::from(vec![Some(1.5), Some(2.0), None])) as ArrayRef,
        ),
    ])
    .unwrap()
}

fn stage(step: &str, config: Value, bindings: &[(&str, &str)]) -> InvokeStage {
    InvokeStage {
        step: step.into(),
        config_json: config.to_string(),
        resources: bindings
            .iter()
            .map(|(b, id)| (b.to_string(), id.to_string()))
            .collect(),
    }
}

fn fused(step: &str, config: Value, input: Option<&Table>, then: Vec<InvokeStage>) -> InvokeHeader {
    let mut h = header(step, config);
    if let Some(input) = input {
        h = with_input(h, input);
    }
    h.then = then;
    h
}

fn chain() -> Vec<InvokeStage> {
    vec![
        stage("scale", json!({"column": "score", "factor": 10}), &[]),
        stage("add_column", json!({"name": "second", "value": "y"}), &[]),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn fused_steps_equal_separate_calls_unary_and_streamed() {
    let plugin = Plugin::start().await;
    let mut client = plugin.client();
    let first = json!({"name": "first", "value": "x"});
    let a = output(
        &invoke(
            &mut client,
            with_input(header("add_column", first.clone()), &scores()),
        )
        .await,
    );
    let b = output(
        &invoke(
            &mut client,
            with_input(
                header("scale", json!({"column": "score", "factor": 10})),
                &a,
            ),
        )
        .await,
    );
    let separate = output(
        &invoke(
            &mut client,
            with_input(
                header("add_column", json!({"name": "second", "value": "y"})),
                &b,
            ),
        )
        .await,
    );

    let response = invoke(
        &mut client,
        fused("add_column", first.clone(), Some(&scores()), chain()),
    )
    .await;
    let together = output(&response);
    assert_eq!(together.to_batch().unwrap(), separate.to_batch().unwrap());
    assert_eq!(
        together.column_names(),
        vec!["id", "score", "first", "second"]
    );

    let mut h = header("add_column", first);
    h.then = chain();
    let streamed = invoke_stream(&mut client, h, Some(&scores()), 1 << 20).await;
    assert!(
        streamed.result.error.is_none(),
        "{:?}",
        streamed.result.error
    );
    assert_eq!(
        streamed.table.unwrap().to_batch().unwrap(),
        separate.to_batch().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_stage_output_goes_by_handle() {
    let dir = ShmDir::new();
    let plugin = Plugin::start_with(&Env {
        shm_dir: Some(dir.path.clone()),
        ..Env::default()
    })
    .await;
    let mut client = plugin.client();
    let mut h = fused(
        "generate",
        json!({"rows": 1000}),
        None,
        vec![stage(
            "add_column",
            json!({"name": "tag", "value": "t"}),
            &[],
        )],
    );
    h.shm_output_threshold = 1;
    let response = invoke(&mut client, h).await;
    assert!(response.error.is_none(), "{:?}", response.error);
    let table = read_output(&shm_output(&response.output));
    assert_eq!(table.num_rows(), 1000);
    assert_eq!(table.column_names(), vec!["id", "label", "tag"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stage_with_a_resource() {
    let plugin = Plugin::start().await;
    let mut client = plugin.client();
    let counter = open(&mut client, "counter", json!({"start": 5})).await;
    let then = || vec![stage("count", json!({}), &[("counter", &counter)])];
    let out = output(
        &invoke(
            &mut client,
            fused("generate", json!({"rows": 4}), None, then()),
        )
        .await,
    );
    assert_eq!(
        out.column("total")
            .unwrap()
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .value(0),
        9
    );
    let out = output(
        &invoke(
            &mut client,
            fused("generate", json!({"rows": 2}), None, then()),
        )
        .await,
    );
    assert_eq!(
        out.column("total")
            .unwrap()
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .value(0),
        11
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_name_the_failing_stage() {
    let plugin = Plugin::start().await;
    let mut client = plugin.client();
    let input = scores();

    let then = vec![
        stage("fail", json!({"message": "stage two broke"}), &[]),
        stage("echo", json!({}), &[]),
    ];
    let response = invoke(&mut client, fused("echo", json!({}), Some(&input), then)).await;
    let error = error_of(&response);
    assert_eq!(
        (code(error), error.component.as_str()),
        ("STEP_FAILED", "conformance.fail")
    );
    assert!(
        error.message.contains("stage two broke") && !error.stack.is_empty(),
        "{error:?}"
    );

    // A bad config in stage 3 fails before anything runs: the counter stays at 0.
    let counter = open(&mut client, "counter", json!({})).await;
    let then = vec![
        stage("count", json!({}), &[("counter", &counter)]),
        stage("scale", json!({"column": "score", "factor": "ten"}), &[]),
    ];
    let response = invoke(&mut client, fused("echo", json!({}), Some(&input), then)).await;
    let error = error_of(&response);
    assert_eq!(
        (code(error), error.component.as_str(), error.field.as_str()),
        ("INVALID_CONFIG", "conformance.scale", "/factor")
    );
    let out = output(
        &invoke(
            &mut client,
            with_resources(
                with_input(header("count", json!({})), &input),
                &[("counter", &counter)],
            ),
        )
        .await,
    );
    assert_eq!(
        out.column("total")
            .unwrap()
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap()
            .value(0),
        3
    );

    let response = invoke(
        &mut client,
        fused(
            "echo",
            json!({}),
            Some(&input),
            vec![stage("nope", json!({}), &[])],
        ),
    )
    .await;
    let error = error_of(&response);
    assert_eq!(
        (code(error), error.component.as_str()),
        ("UNKNOWN_STEP", "conformance.nope")
    );

    let mut h = header("echo", json!({}));
    h.then = vec![stage("count", json!({}), &[])];
    let streamed = invoke_stream(&mut client, h, Some(&input), 1 << 20).await;
    let error = streamed.result.error.expect("an error");
    assert_eq!(
        (code(&error), error.component.as_str()),
        ("MISSING_RESOURCE", "conformance.count")
    );

    let then = vec![
        stage("bad_output", json!({}), &[]),
        stage("echo", json!({}), &[]),
    ];
    let response = invoke(&mut client, fused("echo", json!({}), Some(&input), then)).await;
    let error = error_of(&response);
    assert_eq!(
        (code(error), error.component.as_str()),
        ("INVALID_OUTPUT", "conformance.bad_output")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_and_deadline_cover_the_whole_chain() {
    let plugin = Plugin::start().await;
    let mut client = plugin.client();
    let sleepy = || {
        vec![
            stage("sleep", json!({"ms": 60_000}), &[]),
            stage("echo", json!({}), &[]),
        ]
    };
    let mut h = fused("echo", json!({}), Some(&scores()), sleepy());
    h.call_id = "fused-sleepy".into();
    let mut caller = client.clone();
    let running = tokio::spawn(async move { invoke(&mut caller, h).await });
    let mut controller = plugin.controller();
    loop {
        let request = CancelRequest {
            call_id: "fused-sleepy".into(),
            reason: "test".into(),
        };
        if controller.cancel(request).await.unwrap().into_inner().found {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(code(error_of(&running.await.unwrap())), "CANCELLED");

    let mut h = fused("echo", json!({}), Some(&scores()), sleepy());
    h.timeout_ms = 50;
    assert_eq!(
        code(error_of(&invoke(&mut client, h).await)),
        "DEADLINE_EXCEEDED"
    );
}
