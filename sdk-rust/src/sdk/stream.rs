//! `InvokeStream` (protocol §5.2): header, input chunks, half-close from the
//! host; output chunks and exactly one result from the plugin.

use std::sync::Arc;
use std::time::Instant as StdInstant;

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::core::errors::{ErrorCode, HeddleError};
use crate::core::shm;
use crate::core::table::Table;
use crate::proto::{
    data_ref, invoke_stream_request, invoke_stream_response, CallStats, DataRef, InvokeHeader,
    InvokeResponse, InvokeStreamRequest, InvokeStreamResponse, StreamedTable, TableChunk,
};
use crate::sdk::deadline::call_deadline;
use crate::sdk::invoke;
use crate::sdk::lifecycle::InflightGuard;
use crate::sdk::output;
use crate::sdk::state::State;

type Sender = mpsc::Sender<Result<InvokeStreamResponse, Status>>;

/// Output chunks in flight to the host at most (back-pressure for big outputs).
const QUEUED_CHUNKS: usize = 4;

/// Serves one `InvokeStream`. Fails with a gRPC status only for protocol
/// violations (no header first); every call error is a `result` message.
pub(crate) async fn invoke_stream(
    state: &Arc<State>,
    request: Request<Streaming<InvokeStreamRequest>>,
) -> Result<Response<ReceiverStream<Result<InvokeStreamResponse, Status>>>, Status> {
    let inflight = state.lifecycle.begin_call()?;
    let start = Instant::now();
    let grpc_deadline = call_deadline(request.metadata(), 0, start);
    let mut inbound = request.into_inner();
    let header = match inbound.message().await? {
        Some(InvokeStreamRequest {
            msg: Some(invoke_stream_request::Msg::Header(header)),
        }) => header,
        _ => {
            return Err(Status::invalid_argument(
                "InvokeStream must start with exactly one header message (protocol §5.2)",
            ))
        }
    };
    let deadline = match (
        grpc_deadline,
        call_deadline(&Default::default(), header.timeout_ms, start),
    ) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let (sender, receiver) = mpsc::channel(QUEUED_CHUNKS);
    let state = state.clone();
    tokio::spawn(async move {
        let gone = sender.clone();
        // When the host drops the call, stop: dropping the work cancels the step.
        tokio::select! {
            _ = serve(&state, header, inbound, deadline, &sender, inflight) => {}
            _ = gone.closed() => {}
        }
    });
    Ok(Response::new(ReceiverStream::new(receiver)))
}

async fn serve(
    state: &Arc<State>,
    header: InvokeHeader,
    inbound: Streaming<InvokeStreamRequest>,
    deadline: Option<Instant>,
    sender: &Sender,
    _inflight: InflightGuard,
) {
    let started = StdInstant::now();
    let component = state.component(&header.step);
    let outcome = run(state, &header, inbound, deadline, sender).await;
    let result = match outcome {
        Ok(Some((kind, rows, bytes))) => InvokeResponse {
            output: Some(DataRef { kind: Some(kind) }),
            error: None,
            stats: Some(CallStats {
                duration_us: started.elapsed().as_micros() as u64,
                output_rows: rows,
                output_bytes: bytes,
            }),
        },
        Ok(None) => InvokeResponse {
            output: None,
            error: None,
            stats: Some(CallStats {
                duration_us: started.elapsed().as_micros() as u64,
                ..Default::default()
            }),
        },
        Err(err) => InvokeResponse {
            output: None,
            error: Some(err.to_proto(ErrorCode::StepFailed, &component)),
            stats: None,
        },
    };
    let message = InvokeStreamResponse {
        msg: Some(invoke_stream_response::Msg::Result(result)),
    };
    let _ = sender.send(Ok(message)).await;
}

/// Checks, gathers the input, runs, and writes the output into a segment
/// (no chunks then) or sends it as chunks; returns where the output is, its
/// rows and bytes, or `None` for a sink.
async fn run(
    state: &Arc<State>,
    header: &InvokeHeader,
    mut inbound: Streaming<InvokeStreamRequest>,
    deadline: Option<Instant>,
    sender: &Sender,
) -> Result<Option<(data_ref::Kind, u64, u64)>, HeddleError> {
    let prepared = invoke::prepare(state, header)?;
    let input = gather_input(header, &mut inbound).await?;
    let component = invoke::producer(&prepared);
    let output = invoke::run(state, prepared, input, &header.call_id, deadline).await?;
    let threshold = header.shm_output_threshold;
    let output = match output::to_segment(output, threshold, state.shm.as_ref(), &component)? {
        Ok(segment) => {
            let (rows, bytes) = (segment.num_rows, segment.length);
            return Ok(Some((data_ref::Kind::Shm(segment), rows, bytes)));
        }
        Err(output) => output,
    };
    let Some(encoded) = output::encode_chunked(output, &component)? else {
        return Ok(None);
    };
    for part in encoded.parts {
        let chunk = InvokeStreamResponse {
            msg: Some(invoke_stream_response::Msg::Chunk(TableChunk {
                data: part,
            })),
        };
        if sender.send(Ok(chunk)).await.is_err() {
            break;
        }
    }
    let streamed = data_ref::Kind::Streamed(StreamedTable {
        total_bytes: encoded.bytes,
    });
    Ok(Some((streamed, encoded.rows, encoded.bytes)))
}

/// Reads input chunks until the host half-closes and decodes them, or maps
/// the shared-memory input the header names (then no chunks may follow).
/// Fails with `INVALID_INPUT` when they are not an Arrow IPC stream or a
/// message other than a chunk arrives, and with the segment errors of
/// [`shm::read_segment`].
async fn gather_input(
    header: &InvokeHeader,
    inbound: &mut Streaming<InvokeStreamRequest>,
) -> Result<Option<Table>, HeddleError> {
    let mut parts: Vec<Bytes> = Vec::new();
    loop {
        let next = inbound.message().await.map_err(|s| {
            HeddleError::invalid_input(format!("reading the input stream failed: {}", s.message()))
        })?;
        match next {
            None => break,
            Some(InvokeStreamRequest { msg: Some(invoke_stream_request::Msg::Chunk(chunk)) }) => parts.push(chunk.data),
            Some(_) => {
                return Err(HeddleError::invalid_input(
                    "InvokeStream got a second header or an empty message after the first; send the header once, then chunks",
                ))
            }
        }
    }
    let inline = match header.input.as_ref().and_then(|d| d.kind.as_ref()) {
        Some(data_ref::Kind::Inline(table)) => Some(table.ipc.clone()),
        Some(data_ref::Kind::Shm(_)) if !parts.is_empty() => {
            return Err(HeddleError::invalid_input(
                "the header has a shared-memory input and chunks followed; send one or the other",
            ))
        }
        Some(data_ref::Kind::Shm(segment)) => return shm::read_segment(segment).map(Some),
        _ => None,
    };
    let chunks = parts.len();
    match (inline, chunks) {
        (Some(ipc), 0) => Table::from_ipc(ipc).map(Some),
        (None, 0)
            if !matches!(
                header.input.as_ref().and_then(|d| d.kind.as_ref()),
                Some(data_ref::Kind::Streamed(_))
            ) =>
        {
            Ok(None)
        }
        (None, _) => Table::from_ipc(concat(parts)).map(Some),
        (Some(_), _) => Err(HeddleError::invalid_input(
            "the header has an inline input and chunks followed; send one or the other",
        )),
    }
}

/// The chunks as one buffer; a single chunk is used as is (no copy).
fn concat(mut parts: Vec<Bytes>) -> Bytes {
    if parts.len() == 1 {
        return parts.pop().unwrap_or_default();
    }
    let mut whole = BytesMut::with_capacity(parts.iter().map(Bytes::len).sum());
    for part in parts {
        whole.extend_from_slice(&part);
    }
    whole.freeze()
}
