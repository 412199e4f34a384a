//! Call helpers over the generated client: unary and streamed invokes,
//! decoding outputs and naming error codes.

use std::collections::HashMap;

use heddle::bytes::Bytes;
use heddle::core::errors::code_name;
use heddle::proto::plugin_service_client::PluginServiceClient;
use heddle::proto::*;
use heddle::{ErrorCode, Table};
use serde_json::Value;
use tonic::transport::Channel;

pub type Client = PluginServiceClient<Channel>;

/// A header for `step` with `config`.
pub fn header(step: &str, config: Value) -> InvokeHeader {
    InvokeHeader {
        call_id: format!("call-{step}"),
        step: step.into(),
        config_json: config.to_string(),
        ..Default::default()
    }
}

/// Sets an inline input.
pub fn with_input(mut header: InvokeHeader, input: &Table) -> InvokeHeader {
    let ipc = input.to_ipc().unwrap();
    header.input = Some(DataRef {
        kind: Some(data_ref::Kind::Inline(InlineTable {
            ipc,
            num_rows: input.num_rows() as u64,
        })),
    });
    header
}

/// Binds resources.
pub fn with_resources(mut header: InvokeHeader, bindings: &[(&str, &str)]) -> InvokeHeader {
    header.resources = bindings
        .iter()
        .map(|(b, id)| (b.to_string(), id.to_string()))
        .collect::<HashMap<_, _>>();
    header
}

/// A unary Invoke; panics on a gRPC-level failure.
pub async fn invoke(client: &mut Client, header: InvokeHeader) -> InvokeResponse {
    client
        .invoke(InvokeRequest {
            header: Some(header),
        })
        .await
        .expect("Invoke RPC")
        .into_inner()
}

/// Invoke `step` with `config` and an optional input table.
pub async fn call(
    client: &mut Client,
    step: &str,
    config: Value,
    input: Option<&Table>,
) -> InvokeResponse {
    let h = header(step, config);
    invoke(
        client,
        match input {
            Some(t) => with_input(h, t),
            None => h,
        },
    )
    .await
}

/// The inline output table of a successful response.
pub fn output(response: &InvokeResponse) -> Table {
    assert!(
        response.error.is_none(),
        "unexpected error: {:?}",
        response.error
    );
    match response.output.as_ref().and_then(|o| o.kind.as_ref()) {
        Some(data_ref::Kind::Inline(table)) => Table::from_ipc(table.ipc.clone()).unwrap(),
        other => panic!("expected an inline output, got {other:?}"),
    }
}

/// The error code name of a failed response (e.g. `INVALID_CONFIG`).
pub fn code(error: &Error) -> &'static str {
    code_name(ErrorCode::try_from(error.code).unwrap())
}

/// The error of a response that must have failed.
pub fn error_of(response: &InvokeResponse) -> &Error {
    response
        .error
        .as_ref()
        .unwrap_or_else(|| panic!("expected an error, got output {:?}", response.output))
}

/// Opens a resource; panics if it fails.
pub async fn open(client: &mut Client, kind: &str, config: Value) -> String {
    let answer = client
        .open_resource(OpenResourceRequest {
            resource: kind.into(),
            config_json: config.to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(answer.error.is_none(), "open {kind}: {:?}", answer.error);
    answer.instance_id
}

/// What an InvokeStream returned.
pub struct Streamed {
    pub chunk_sizes: Vec<usize>,
    pub result: InvokeResponse,
    pub table: Option<Table>,
}

/// InvokeStream with the input sent in chunks of `chunk` bytes.
pub async fn invoke_stream(
    client: &mut Client,
    mut header: InvokeHeader,
    input: Option<&Table>,
    chunk: usize,
) -> Streamed {
    let mut messages = Vec::new();
    let ipc = input.map(|t| t.to_ipc().unwrap());
    if let Some(ipc) = &ipc {
        header.input = Some(DataRef {
            kind: Some(data_ref::Kind::Streamed(StreamedTable {
                total_bytes: ipc.len() as u64,
            })),
        });
    }
    messages.push(InvokeStreamRequest {
        msg: Some(invoke_stream_request::Msg::Header(header)),
    });
    if let Some(ipc) = ipc {
        for start in (0..ipc.len()).step_by(chunk) {
            let data = ipc.slice(start..(start + chunk).min(ipc.len()));
            messages.push(InvokeStreamRequest {
                msg: Some(invoke_stream_request::Msg::Chunk(TableChunk { data })),
            });
        }
    }
    let mut responses = client
        .invoke_stream(tokio_stream::iter(messages))
        .await
        .expect("InvokeStream RPC")
        .into_inner();
    let mut chunk_sizes = Vec::new();
    let mut gathered = Vec::new();
    let mut result = None;
    while let Some(message) = responses.message().await.expect("InvokeStream message") {
        match message.msg {
            Some(invoke_stream_response::Msg::Chunk(c)) => {
                assert!(result.is_none(), "a chunk came after the result");
                chunk_sizes.push(c.data.len());
                gathered.extend_from_slice(&c.data);
            }
            Some(invoke_stream_response::Msg::Result(r)) => {
                assert!(result.is_none(), "two results");
                result = Some(r);
            }
            None => panic!("empty InvokeStreamResponse"),
        }
    }
    let result = result.expect("no result message");
    let table = (!gathered.is_empty()).then(|| Table::from_ipc(Bytes::from(gathered)).unwrap());
    Streamed {
        chunk_sizes,
        result,
        table,
    }
}
