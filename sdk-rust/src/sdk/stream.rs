//! `InvokeStream` (protocol §5.2): header, input chunks, half-close from the
//! host; output chunks and exactly one result from the plugin.

use std::sync::Arc;
use std::time::Instant as StdInstant;

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::core::errors::HeddleError;
use crate::core::table::Table;
use crate::proto::{
    data_ref, invoke_stream_request, invoke_stream_response, InvokeHeader, InvokeStreamRequest,
    InvokeStreamResponse, StreamedTable, TableChunk,
};
use crate::sdk::deadline::call_deadline;
use crate::sdk::lifecycle::InflightGuard;
use crate::sdk::output;
use crate::sdk::pipeline::{self, Answer, Placed};
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
    let message = InvokeStreamResponse {
        msg: Some(invoke_stream_response::Msg::Result(pipeline::response(
            outcome, &component, started,
        ))),
    };
    let _ = sender.send(Ok(message)).await;
}

/// The shared pipeline with the input gathered from the chunks (or by
/// handle), and the output by handle (no chunks then) or sent as chunks.
async fn run(
    state: &Arc<State>,
    header: &InvokeHeader,
    mut inbound: Streaming<InvokeStreamRequest>,
    deadline: Option<Instant>,
    sender: &Sender,
) -> Result<Option<Answer>, HeddleError> {
    let input = gather_input(header, &mut inbound);
    let placed = pipeline::execute(state, header, deadline, input, output::encode_chunked).await?;
    let encoded = match placed {
        Placed::Nothing => return Ok(None),
        Placed::Segment(segment) => return Ok(Some(Answer::segment(segment))),
        Placed::Encoded(encoded) => encoded,
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
    Ok(Some(Answer {
        kind: data_ref::Kind::Streamed(StreamedTable {
            total_bytes: encoded.bytes,
        }),
        rows: encoded.rows,
        bytes: encoded.bytes,
    }))
}

/// Reads input chunks until the host half-closes, then takes the input from
/// them or from the header ([`pipeline::decode_input`]). Fails with
/// `INVALID_INPUT` when the stream breaks or a message other than a chunk
/// arrives, and as `decode_input` does.
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
    pipeline::decode_input(header, Some(concat(parts)))
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
