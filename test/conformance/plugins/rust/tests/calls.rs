//! End to end: the conformance plugin process answers handshake, describe,
//! health and every step over its Unix socket, unary and streamed.

mod support;

use std::sync::Arc;

use heddle::arrow_array::cast::AsArray;
use heddle::arrow_array::types::{Float64Type, Int64Type};
use heddle::arrow_array::*;
use heddle::arrow_schema::{DataType, TimeUnit};
use heddle::proto::*;
use heddle::Table;
use serde_json::{json, Value};
use support::calls::*;
use support::Plugin;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

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
async fn handshakes_describes_and_reports_health() {
    let plugin = Plugin::start().await;
    let socket = plugin.dir.socket();
    assert_eq!(
        plugin.handshake,
        format!("HEDDLE|1|1|unix|{}|grpc", socket.display())
    );

    let mut client = plugin.client();
    let request = HandshakeRequest {
        protocol_versions: vec![3, 1],
        host_name: "test".into(),
        host_version: "0".into(),
        capabilities: vec![
            "shm".into(),
            "streaming".into(),
            "cancel".into(),
            "commands".into(),
        ],
    };
    let answer = client.handshake(request).await.unwrap().into_inner();
    assert_eq!(answer.protocol_version, 1);
    assert_eq!(answer.sdk_language, "rust");
    assert_eq!(answer.capabilities, vec!["streaming", "cancel", "commands"]);
    assert_eq!(answer.pid as u32, plugin.child.id());

    let mismatch = client
        .handshake(HandshakeRequest {
            protocol_versions: vec![2],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(mismatch.code(), tonic::Code::FailedPrecondition);
    assert!(mismatch.message().contains("PROTOCOL_MISMATCH"));

    let manifest = client
        .describe(DescribeRequest {})
        .await
        .unwrap()
        .into_inner()
        .manifest
        .unwrap();
    assert_eq!(
        (manifest.namespace.as_str(), manifest.version.as_str()),
        ("conformance", "1.0.0")
    );
    let mut steps: Vec<&str> = manifest.steps.iter().map(|s| s.name.as_str()).collect();
    steps.sort_unstable();
    assert_eq!(
        steps,
        [
            "add_column",
            "bad_output",
            "count",
            "echo",
            "fail",
            "fail_typed",
            "generate",
            "log",
            "scale",
            "sleep",
            "strict"
        ]
    );
    let mut resources: Vec<&str> = manifest.resources.iter().map(|r| r.name.as_str()).collect();
    resources.sort_unstable();
    assert_eq!(resources, ["counter", "failing"]);
    assert_eq!(
        manifest
            .handlers
            .iter()
            .map(|h| h.name.as_str())
            .collect::<Vec<_>>(),
        ["record_errors"]
    );
    assert_eq!(
        manifest
            .commands
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["ping"]
    );

    let strict = manifest.steps.iter().find(|s| s.name == "strict").unwrap();
    let schema: Value = serde_json::from_str(&strict.config_schema_json).unwrap();
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["required"], json!(["name", "count"]));
    assert!(!strict.takes_input);
    let count = manifest.steps.iter().find(|s| s.name == "count").unwrap();
    assert_eq!(
        count.resources,
        vec![ResourceRequirement {
            binding: "counter".into(),
            kind: "counter".into(),
            optional: false
        }]
    );

    // No "shm" capability: nothing to release, but the RPC answers.
    let request = ReleaseSegmentsRequest {
        segment_ids: vec!["1-1".into()],
    };
    plugin.controller().release_segments(request).await.unwrap();

    let mut health = HealthClient::new(plugin.channel.clone());
    for service in ["", "plugin"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "service {service:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_every_table_step_unary() {
    let plugin = Plugin::start().await;
    let mut client = plugin.client();

    let input = every_type();
    let echoed = output(&call(&mut client, "echo", json!({}), Some(&input)).await);
    assert_eq!(echoed.to_batch().unwrap(), input.to_batch().unwrap());
    assert_eq!(
        echoed.schema().field(5).data_type(),
        &DataType::Timestamp(TimeUnit::Millisecond, None)
    );

    let empty = Table::empty(input.schema().clone());
    let echoed = output(&call(&mut client, "echo", json!({}), Some(&empty)).await);
    assert_eq!((echoed.num_rows(), echoed.column_names().len()), (0, 6));

    let added = output(
        &call(
            &mut client,
            "add_column",
            json!({"name": "tag", "value": "x"}),
            Some(&ids(&[1, 2])),
        )
        .await,
    );
    assert_eq!(added.column_names(), ["id", "tag"]);
    assert_eq!(
        added
            .column("tag")
            .unwrap()
            .as_string::<i32>()
            .iter()
            .collect::<Vec<_>>(),
        [Some("x"), Some("x")]
    );

    let values = Table::from_columns(vec![
        ("k", Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef),
        ("v", Arc::new(Int64Array::from(vec![2, -4])) as ArrayRef),
    ])
    .unwrap();
    let scaled = output(
        &call(
            &mut client,
            "scale",
            json!({"column": "v", "factor": 2.5}),
            Some(&values),
        )
        .await,
    );
    assert_eq!(scaled.column_names(), ["k", "v"]);
    assert_eq!(
        scaled
            .column("v")
            .unwrap()
            .as_primitive::<Float64Type>()
            .values()
            .to_vec(),
        [5.0, -10.0]
    );

    let generated = output(&call(&mut client, "generate", json!({"rows": 3}), None).await);
    assert_eq!(
        generated
            .column("id")
            .unwrap()
            .as_primitive::<Int64Type>()
            .values()
            .to_vec(),
        [0, 1, 2]
    );
    assert_eq!(
        generated
            .column("label")
            .unwrap()
            .as_string::<i32>()
            .value(2),
        "row-2"
    );

    let strict = output(
        &call(
            &mut client,
            "strict",
            json!({"name": "n", "count": 2}),
            None,
        )
        .await,
    );
    assert_eq!(
        strict.column("mode").unwrap().as_string::<i32>().value(0),
        "a"
    );
    assert_eq!(
        strict
            .column("count")
            .unwrap()
            .as_primitive::<Int64Type>()
            .value(0),
        2
    );

    let slept = output(&call(&mut client, "sleep", json!({"ms": 20}), None).await);
    assert_eq!(slept.column_names(), ["slept_ms"]);
    assert!(
        slept
            .column("slept_ms")
            .unwrap()
            .as_primitive::<Int64Type>()
            .value(0)
            >= 20
    );

    let errors = Table::from_columns(
        ["code", "message", "component", "stack"]
            .map(|n| {
                (
                    n,
                    Arc::new(StringArray::from(vec![format!("{n}-1")])) as ArrayRef,
                )
            })
            .to_vec(),
    )
    .unwrap();
    let handled = output(&call(&mut client, "record_errors", json!({}), Some(&errors)).await);
    assert_eq!(handled.to_batch().unwrap(), errors.to_batch().unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn resources_keep_state_across_calls() {
    let plugin = Plugin::start().await;
    let mut client = plugin.client();
    let counter = open(&mut client, "counter", json!({"start": 5})).await;
    let h = with_resources(
        with_input(header("count", json!({})), &ids(&[1, 2, 3])),
        &[("counter", &counter)],
    );
    invoke(&mut client, h.clone()).await;
    let second = output(&invoke(&mut client, h).await);
    assert_eq!(
        second
            .column("total")
            .unwrap()
            .as_primitive::<Int64Type>()
            .value(0),
        11
    );

    let other = open(&mut client, "counter", json!({})).await;
    assert_ne!(other, counter);
    let closed = client
        .close_resource(CloseResourceRequest {
            instance_id: counter.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(closed.error.is_none());
    let again = client
        .close_resource(CloseResourceRequest {
            instance_id: counter,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(code(&again.error.unwrap()), "RESOURCE_NOT_OPEN");
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_json_lines_with_fields() {
    let plugin = Plugin::start().await;
    let mut client = plugin.client();
    let out = output(
        &call(
            &mut client,
            "log",
            json!({"message": "hello from conformance"}),
            Some(&ids(&[1])),
        )
        .await,
    );
    assert_eq!(out.num_rows(), 1);
    let mut found = None;
    for _ in 0..500 {
        let text = plugin.stderr_text();
        found = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v["message"] == "hello from conformance");
        if found.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let line = found.expect("the log line on stderr");
    // HEDDLE_LOG_LEVEL=info: the SDK's debug lines are filtered out.
    assert!(!plugin.stderr_text().contains(r#""level":"debug""#));
    assert_eq!(line["level"], "info");
    assert_eq!(line["fields"]["step"], "log");
    assert!(line["time"].as_str().unwrap().ends_with('Z'));
}
