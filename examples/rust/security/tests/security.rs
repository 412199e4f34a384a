//! End to end: start the built plugin as a host would, open a vault, hash
//! the sample credentials over the Unix socket.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use heddle::arrow_array::cast::AsArray;
use heddle::arrow_array::{ArrayRef, Int64Array, StringArray};
use heddle::proto::plugin_service_client::PluginServiceClient;
use heddle::proto::*;
use heddle::sdk::client::connect_unix;
use heddle::sdk::handshake::COOKIE;
use heddle::Table;
use serde_json::Value;

struct Running(Child, std::path::PathBuf);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

fn credentials() -> Table {
    let rows: Vec<Value> = serde_json::from_str(include_str!("../credentials.json")).unwrap();
    let ids: Int64Array = rows.iter().map(|r| r["id"].as_i64()).collect();
    let passwords: StringArray = rows.iter().map(|r| r["password"].as_str()).collect();
    Table::from_columns(vec![
        ("id", Arc::new(ids) as ArrayRef),
        ("password", Arc::new(passwords) as ArrayRef),
    ])
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn hashes_credentials_with_the_vault_key() {
    let dir = std::path::PathBuf::from(format!("/tmp/hs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("p.sock");
    let mut child = Command::new(env!("CARGO_BIN_EXE_security"))
        .env("HEDDLE_PLUGIN_COOKIE", COOKIE)
        .env("HEDDLE_PLUGIN_PROTOCOL_VERSIONS", "1")
        .env("HEDDLE_PLUGIN_SOCKET", &socket)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child, dir);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    assert!(line.starts_with("HEDDLE|1|1|unix|"), "{line}");

    let mut client = PluginServiceClient::new(connect_unix(socket).await.unwrap());
    let opened = client
        .open_resource(OpenResourceRequest {
            resource: "vault".into(),
            config_json: r#"{"api_key":"k-123"}"#.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let input = credentials();
    let header = InvokeHeader {
        call_id: "h1".into(),
        step: "hash".into(),
        config_json: r#"{"algorithm":"sha256"}"#.into(),
        resources: [("vault".to_string(), opened.instance_id)].into(),
        input: Some(DataRef {
            kind: Some(data_ref::Kind::Inline(InlineTable {
                ipc: input.to_ipc().unwrap(),
                num_rows: 3,
            })),
        }),
        ..Default::default()
    };
    let response = client
        .invoke(InvokeRequest {
            header: Some(header),
        })
        .await
        .unwrap()
        .into_inner();
    let Some(data_ref::Kind::Inline(out)) = response.output.and_then(|o| o.kind) else {
        panic!("{:?}", response.error)
    };
    let table = Table::from_ipc(out.ipc).unwrap();
    assert_eq!(table.column_names(), ["id", "hash"]);
    let hashes = table.column("hash").unwrap();
    assert!(hashes
        .as_string::<i32>()
        .iter()
        .all(|h| h.is_some_and(|h| h.len() == 64)));

    let bad = client
        .open_resource(OpenResourceRequest {
            resource: "vault".into(),
            config_json: r#"{"api_key":""}"#.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bad.error.unwrap().field, "/api_key");
    drop(running);
}
