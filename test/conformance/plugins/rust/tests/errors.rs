//! End to end: every error code a step call can meet, with its field and
//! message, and the plugin stays usable after each.

mod support;

use std::sync::Arc;

use heddle::arrow_array::{ArrayRef, Int64Array};
use heddle::bytes::Bytes;
use heddle::proto::*;
use heddle::Table;
use serde_json::{json, Value};
use support::calls::*;
use support::Plugin;

fn ids() -> Table {
    Table::from_columns(vec![(
        "id",
        Arc::new(Int64Array::from(vec![1])) as ArrayRef,
    )])
    .unwrap()
}

/// Calls `step` and checks the error code and field; returns the error.
async fn expect_error(
    client: &mut Client,
    h: InvokeHeader,
    want: &str,
    field: Option<&str>,
) -> Error {
    let response = invoke(client, h).await;
    let error = error_of(&response).clone();
    assert_eq!(code(&error), want, "{error:?}");
    if let Some(field) = field {
        assert_eq!(error.field, field, "{error:?}");
    }
    // The plugin stays usable after any error.
    let again = call(client, "generate", json!({"rows": 1}), None).await;
    assert_eq!(output(&again).num_rows(), 1);
    error
}

fn step(name: &str, config: Value) -> InvokeHeader {
    header(name, config)
}

#[tokio::test(flavor = "multi_thread")]
async fn config_errors_name_the_field() {
    let plugin = Plugin::start().await;
    let mut c = plugin.client();
    let e = expect_error(
        &mut c,
        with_input(step("add_column", json!({"name": "tag"})), &ids()),
        "INVALID_CONFIG",
        Some("/value"),
    )
    .await;
    assert!(e.message.contains("value"), "{}", e.message);
    assert_eq!(e.component, "conformance.add_column");
    let e = expect_error(
        &mut c,
        with_input(
            step(
                "add_column",
                json!({"name": "t", "value": "x", "colour": "red"}),
            ),
            &ids(),
        ),
        "INVALID_CONFIG",
        None,
    )
    .await;
    assert!(e.message.contains("colour"), "{}", e.message);
    let e = expect_error(
        &mut c,
        with_input(
            step("add_column", json!({"name": "t", "value": 42})),
            &ids(),
        ),
        "INVALID_CONFIG",
        Some("/value"),
    )
    .await;
    assert!(e.message.contains("value"));
    expect_error(
        &mut c,
        step("generate", json!({"rows": -1})),
        "INVALID_CONFIG",
        Some("/rows"),
    )
    .await;
    expect_error(
        &mut c,
        step("strict", json!({"name": "n", "count": 2, "mode": "z"})),
        "INVALID_CONFIG",
        Some("/mode"),
    )
    .await;
    expect_error(
        &mut c,
        step("strict", json!({"name": "n", "count": 0})),
        "INVALID_CONFIG",
        Some("/count"),
    )
    .await;
    let mut bad_json = step("echo", json!({}));
    bad_json.config_json = "{nope".into();
    expect_error(
        &mut c,
        with_input(bad_json, &ids()),
        "INVALID_CONFIG",
        Some(""),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lookup_errors_come_in_protocol_order() {
    let plugin = Plugin::start().await;
    let mut c = plugin.client();
    let e = expect_error(
        &mut c,
        step("no_such_step", json!({})),
        "UNKNOWN_STEP",
        None,
    )
    .await;
    assert!(e.message.contains("no_such_step"));
    // The step is checked before its config.
    expect_error(
        &mut c,
        step("no_such_step", json!({"x": 1})),
        "UNKNOWN_STEP",
        None,
    )
    .await;
    // The config is checked before the resources.
    expect_error(
        &mut c,
        with_input(step("count", json!({"x": 1})), &ids()),
        "INVALID_CONFIG",
        Some("/x"),
    )
    .await;
    let e = expect_error(
        &mut c,
        with_input(step("count", json!({})), &ids()),
        "MISSING_RESOURCE",
        None,
    )
    .await;
    assert!(e.message.contains("counter"));
    let h = with_resources(
        with_input(step("count", json!({})), &ids()),
        &[("counter", "counter-999")],
    );
    expect_error(&mut c, h, "RESOURCE_NOT_OPEN", None).await;
    // The resources are checked before the input.
    let mut garbage = with_resources(step("count", json!({})), &[("counter", "counter-999")]);
    garbage.input = Some(DataRef {
        kind: Some(data_ref::Kind::Inline(InlineTable {
            ipc: Bytes::from_static(b"junk"),
            num_rows: 1,
        })),
    });
    expect_error(&mut c, garbage.clone(), "RESOURCE_NOT_OPEN", None).await;
    garbage.resources.clear();
    garbage.step = "echo".into();
    expect_error(&mut c, garbage, "INVALID_INPUT", None).await;
    expect_error(&mut c, step("echo", json!({})), "INVALID_INPUT", None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn step_code_errors_keep_their_meaning() {
    let plugin = Plugin::start().await;
    let mut c = plugin.client();
    let e = expect_error(
        &mut c,
        step("fail", json!({"message": "boom 123"})),
        "STEP_FAILED",
        None,
    )
    .await;
    assert!(e.message.contains("boom 123"));
    assert!(!e.stack.is_empty());
    let e = expect_error(&mut c, step("fail", json!({})), "STEP_FAILED", None).await;
    assert_eq!(e.message, "failed on purpose");
    let e = expect_error(&mut c, step("fail_typed", json!({})), "INVALID_INPUT", None).await;
    assert!(e.message.contains("typed failure"));
    expect_error(
        &mut c,
        step("bad_output", json!({})),
        "INVALID_OUTPUT",
        None,
    )
    .await;
    let values = Table::from_columns(vec![(
        "v",
        Arc::new(heddle::arrow_array::StringArray::from(vec!["x"])) as ArrayRef,
    )])
    .unwrap();
    expect_error(
        &mut c,
        with_input(step("scale", json!({"column": "v", "factor": 2})), &values),
        "INVALID_INPUT",
        None,
    )
    .await;
    expect_error(
        &mut c,
        with_input(step("scale", json!({"column": "w", "factor": 2})), &values),
        "INVALID_INPUT",
        None,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unary_outputs_over_16_mib_must_stream() {
    let plugin = Plugin::start().await;
    let mut c = plugin.client();
    let e = expect_error(
        &mut c,
        step("generate", json!({"rows": 1_500_000})),
        "INVALID_OUTPUT",
        None,
    )
    .await;
    assert!(e.message.contains("InvokeStream"), "{}", e.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn resource_errors() {
    let plugin = Plugin::start().await;
    let mut c = plugin.client();
    let open = |resource: &str, config: Value| OpenResourceRequest {
        resource: resource.into(),
        config_json: config.to_string(),
    };
    let failing = c
        .open_resource(open("failing", json!({})))
        .await
        .unwrap()
        .into_inner()
        .error
        .unwrap();
    assert_eq!(code(&failing), "RESOURCE_INIT_FAILED");
    assert!(failing.message.contains("on purpose"));
    assert!(!failing.stack.is_empty());
    let bad = c
        .open_resource(open("counter", json!({"start": "five"})))
        .await
        .unwrap()
        .into_inner()
        .error
        .unwrap();
    assert_eq!(
        (code(&bad), bad.field.as_str()),
        ("INVALID_CONFIG", "/start")
    );
    let unknown = c
        .open_resource(open("nope", json!({})))
        .await
        .unwrap()
        .into_inner()
        .error
        .unwrap();
    assert_eq!(code(&unknown), "UNKNOWN_RESOURCE");
    let failing_kind = support::calls::open(&mut c, "counter", json!({})).await;
    assert!(failing_kind.starts_with("counter-"));
}

#[tokio::test(flavor = "multi_thread")]
async fn command_errors_are_final_statuses() {
    let plugin = Plugin::start().await;
    let mut c = plugin.client();
    for (command, context, want) in [
        ("nope", "{}", "UNKNOWN_COMMAND"),
        ("ping", r#"{"message": 5}"#, "INVALID_CONFIG"),
    ] {
        let request = RunCommandRequest {
            command: command.into(),
            context_json: context.into(),
            ..Default::default()
        };
        let mut events = c.run_command(request).await.unwrap().into_inner();
        let mut statuses = Vec::new();
        while let Some(event) = events.message().await.unwrap() {
            if let Some(run_command_response::Event::Status(s)) = event.event {
                statuses.push(s);
            }
        }
        assert_eq!(statuses.len(), 1);
        assert_eq!(statuses[0].state, CommandState::Failed as i32);
        assert_eq!(code(statuses[0].error.as_ref().unwrap()), want);
    }
}
