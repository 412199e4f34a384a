//! One call that came on the frame lane (protocol §5.5): the shared
//! pipeline with the input from the frame's payload (or the header), the
//! output as the result's payload (or by handle), and exactly one result
//! frame queued for the connection's writer.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use crate::core::errors::{ErrorCode, HeddleError};
use crate::proto::{data_ref, InvokeHeader, InvokeResponse, StreamedTable};
use crate::sdk::deadline::call_deadline;
use crate::sdk::frames::{Kind, OutFrame};
use crate::sdk::output;
use crate::sdk::pipeline::{self, Answer, Placed};
use crate::sdk::state::State;

/// A call frame as the connection's reader hands it over.
pub(crate) struct CallFrame {
    pub(crate) call_no: u32,
    pub(crate) header: InvokeHeader,
    /// The payload, or why it could not be held (answered at check 4).
    pub(crate) payload: Result<Bytes, HeddleError>,
    /// When its prefix arrived: the call's clock (deadline, stats) starts there.
    pub(crate) received: Instant,
}

/// Serves one call and queues its result frame on `results`. A plugin that
/// is shutting down answers `PLUGIN_UNAVAILABLE` without running anything.
/// When the connection's writer is gone (the host closed the connection or
/// broke it) the call is dropped, which cancels it as a dropped gRPC call is.
pub(crate) async fn serve(state: Arc<State>, call: CallFrame, results: UnboundedSender<OutFrame>) {
    let CallFrame {
        call_no,
        header,
        payload,
        received,
    } = call;
    let component = state.component(&header.step);
    let (outcome, payload, _inflight) = match state.lifecycle.begin_call() {
        Err(_) => {
            let refused = HeddleError::sdk(
                ErrorCode::PluginUnavailable,
                "the plugin is shutting down and accepts no new calls; send the call to another process of the plugin",
            );
            (Err(refused), Bytes::new(), None)
        }
        Ok(inflight) => {
            let deadline = call_deadline(&Default::default(), header.timeout_ms, received);
            let (outcome, payload) = tokio::select! {
                done = run(&state, &header, payload, deadline) => match done {
                    Ok((answer, payload)) => (Ok(answer), payload),
                    Err(err) => (Err(err), Bytes::new()),
                },
                _ = results.closed() => return,
            };
            // Counted in flight until the result is queued, so a shutdown
            // waits for it and the writer still sends it.
            (outcome, payload, Some(inflight))
        }
    };
    let response = pipeline::response(outcome, &component, received.into_std());
    let frame = OutFrame::new(Kind::Result, call_no, &response, payload).unwrap_or_else(|e| {
        // Only a message of 4 GiB or more gets here: say so in a small one.
        let err = HeddleError::sdk(
            ErrorCode::InvalidOutput,
            format!("the result cannot be framed: {e}"),
        );
        let response = InvokeResponse {
            error: Some(err.to_proto(ErrorCode::InvalidOutput, &component)),
            ..Default::default()
        };
        OutFrame::new(Kind::Result, call_no, &response, Bytes::new()).expect("a small error frames")
    });
    // A closed writer means nobody waits for the answer any more.
    let _ = results.send(frame);
}

/// The pipeline with the input from the payload (or the header's own
/// input), and the output as one IPC stream to send as the payload
/// (`output = streamed`), by handle, or nothing for a sink.
async fn run(
    state: &Arc<State>,
    header: &InvokeHeader,
    payload: Result<Bytes, HeddleError>,
    deadline: Option<Instant>,
) -> Result<(Option<Answer>, Bytes), HeddleError> {
    // Polled only after checks 1–3, so an unusable payload is check 4.
    let input = async move {
        let payload = payload?;
        // Unlike InvokeStream chunks, a frame payload must be announced (§5.5).
        if header
            .input
            .as_ref()
            .and_then(|d| d.kind.as_ref())
            .is_none()
            && !payload.is_empty()
        {
            return Err(HeddleError::invalid_input(
                "the call frame carries a payload but its header announces the input as absent: send the input as header.input.streamed with the IPC bytes as payload",
            ));
        }
        pipeline::decode_input(header, Some(payload))
    };
    let placed = pipeline::execute(state, header, deadline, input, output::encode_whole).await?;
    Ok(match placed {
        Placed::Nothing => (None, Bytes::new()),
        Placed::Segment(segment) => (Some(Answer::segment(segment)), Bytes::new()),
        Placed::Encoded(encoded) => {
            let bytes = encoded.parts.into_iter().next().unwrap_or_default();
            let answer = Answer {
                kind: data_ref::Kind::Streamed(StreamedTable {
                    total_bytes: encoded.bytes,
                }),
                rows: encoded.rows,
                bytes: encoded.bytes,
            };
            (Some(answer), bytes)
        }
    })
}
