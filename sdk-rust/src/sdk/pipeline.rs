//! One call from its header to its `InvokeResponse`, shared by the three ways
//! a call arrives: unary `Invoke`, `InvokeStream` and the frame lane
//! (protocol §5.1, §5.2, §5.5). Each transport brings its input bytes and
//! its output encoding; the order of the checks, the run (fused stages,
//! cancellation, deadline: [`invoke`]) and the choice of a shared-memory
//! output live here once.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant as StdInstant;

use bytes::Bytes;
use tokio::time::Instant;

use crate::core::errors::{ErrorCode, HeddleError};
use crate::core::shm;
use crate::core::step::Output;
use crate::core::table::Table;
use crate::proto::{data_ref, CallStats, DataRef, InvokeHeader, InvokeResponse, SharedMemoryRef};
use crate::sdk::invoke;
use crate::sdk::output::{self, Encoded};
use crate::sdk::passthrough::Lent;
use crate::sdk::state::State;

/// Where a finished call's output went.
pub(crate) enum Placed {
    /// The last step is a sink: no table.
    Nothing,
    /// By handle (at or past `shm_output_threshold`): a new segment written
    /// for it, which the host owns from the answer on, or the input's own
    /// segment when the output is the input unchanged (pass-through, §8.2).
    Segment(SharedMemoryRef),
    /// Encoded by the transport's encoder, to send as it sends tables.
    Encoded(Encoded),
}

/// A successful call's output as the response names it.
pub(crate) struct Answer {
    pub(crate) kind: data_ref::Kind,
    pub(crate) rows: u64,
    pub(crate) bytes: u64,
}

impl Answer {
    /// The answer for an output written into `segment`.
    pub(crate) fn segment(segment: SharedMemoryRef) -> Self {
        Answer {
            rows: segment.num_rows,
            bytes: segment.length,
            kind: data_ref::Kind::Shm(segment),
        }
    }
}

/// Runs one call: checks 1–3 for the step and every fused stage
/// ([`invoke::prepare`]), then awaits `input` (check 4: it is only polled
/// once those passed, so a bad call never reads or maps its input), runs the
/// steps, and places the output: back into the input's segment when it is
/// the input unchanged and the header asks for outputs by handle
/// ([`Lent`]), into a new segment when the header asks for it and the output
/// is large enough, else through `encode`. Every failure is a
/// `HeddleError` naming its component; [`response`] turns it into the answer.
pub(crate) async fn execute<In, Enc>(
    state: &Arc<State>,
    header: &InvokeHeader,
    deadline: Option<Instant>,
    input: In,
    encode: Enc,
) -> Result<Placed, HeddleError>
where
    In: Future<Output = Result<Option<Table>, HeddleError>>,
    Enc: FnOnce(Output, &str) -> Result<Option<Encoded>, HeddleError>,
{
    let prepared = invoke::prepare(state, header)?;
    let input = input.await?;
    let lent = Lent::new(header, state.shm.is_some(), input.as_ref());
    let component = invoke::producer(&prepared);
    let output = invoke::run(state, prepared, input, &header.call_id, deadline).await?;
    // Pass-through (§8.2): the input segment, unchanged, goes back as itself.
    if let Some(segment) = lent.and_then(|lent| lent.answer(&output)) {
        return Ok(Placed::Segment(segment));
    }
    let threshold = header.shm_output_threshold;
    // A mapped input is dropped (unmapped) only after this, once the output
    // no longer needs its buffers.
    match output::to_segment(output, threshold, state.shm.as_ref(), &component)? {
        Ok(segment) => Ok(Placed::Segment(segment)),
        Err(output) => Ok(encode(output, &component)?.map_or(Placed::Nothing, Placed::Encoded)),
    }
}

/// The call's input table (check 4), from the header's `DataRef` and the
/// bytes that came beside the header: `carried` is `InvokeStream`'s chunks
/// gathered or a frame's payload, and `None` for a unary `Invoke`, which
/// has no such bytes. Fails with `INVALID_INPUT` when the bytes are not an
/// Arrow IPC stream, when the header names an inline or shared-memory input
/// and bytes came too, or when a unary call says `streamed`; and with the
/// segment errors of [`shm::read_segment`].
pub(crate) fn decode_input(
    header: &InvokeHeader,
    carried: Option<Bytes>,
) -> Result<Option<Table>, HeddleError> {
    let beside = carried.as_ref().is_some_and(|bytes| !bytes.is_empty());
    match header.input.as_ref().and_then(|d| d.kind.as_ref()) {
        // An input without a `DataRef` but with bytes: the bytes are it.
        None => match carried.filter(|_| beside) {
            Some(bytes) => Table::from_ipc(bytes).map(Some),
            None => Ok(None),
        },
        Some(data_ref::Kind::Inline(_)) if beside => Err(HeddleError::invalid_input(
            "the header has an inline input and input bytes came beside it (chunks or a frame payload); send one or the other",
        )),
        Some(data_ref::Kind::Shm(_)) if beside => Err(HeddleError::invalid_input(
            "the header has a shared-memory input and input bytes came beside it (chunks or a frame payload); send one or the other",
        )),
        Some(data_ref::Kind::Inline(table)) => Table::from_ipc(table.ipc.clone()).map(Some),
        Some(data_ref::Kind::Shm(segment)) => shm::read_segment(segment).map(Some),
        Some(data_ref::Kind::Streamed(_)) => match carried {
            Some(bytes) => Table::from_ipc(bytes).map(Some),
            None => Err(HeddleError::invalid_input(
                "a unary Invoke cannot take a streamed input: use InvokeStream (or the frame lane) for it",
            )),
        },
    }
}

/// The `InvokeResponse` of a finished call: its output and stats, or its
/// error (a plain error is `STEP_FAILED`; one naming no component is
/// `component`'s, the header's step).
pub(crate) fn response(
    outcome: Result<Option<Answer>, HeddleError>,
    component: &str,
    started: StdInstant,
) -> InvokeResponse {
    let duration_us = started.elapsed().as_micros() as u64;
    match outcome {
        Ok(Some(answer)) => InvokeResponse {
            output: Some(DataRef {
                kind: Some(answer.kind),
            }),
            error: None,
            stats: Some(CallStats {
                duration_us,
                output_rows: answer.rows,
                output_bytes: answer.bytes,
            }),
        },
        Ok(None) => InvokeResponse {
            output: None,
            error: None,
            stats: Some(CallStats {
                duration_us,
                ..Default::default()
            }),
        },
        Err(err) => InvokeResponse {
            output: None,
            error: Some(err.to_proto(ErrorCode::StepFailed, component)),
            stats: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{InlineTable, StreamedTable};
    use arrow_array::{ArrayRef, Int64Array};

    fn ipc() -> Bytes {
        Table::from_columns(vec![(
            "id",
            Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef,
        )])
        .unwrap()
        .to_ipc()
        .unwrap()
    }

    fn header(kind: Option<data_ref::Kind>) -> InvokeHeader {
        InvokeHeader {
            input: kind.map(|kind| DataRef { kind: Some(kind) }),
            ..Default::default()
        }
    }

    #[test]
    fn takes_the_input_from_the_header_or_beside_it() {
        let streamed = header(Some(data_ref::Kind::Streamed(StreamedTable::default())));
        let table = decode_input(&streamed, Some(ipc())).unwrap().unwrap();
        assert_eq!(table.num_rows(), 2);
        let inline = header(Some(data_ref::Kind::Inline(InlineTable {
            ipc: ipc(),
            num_rows: 2,
        })));
        assert_eq!(decode_input(&inline, None).unwrap().unwrap().num_rows(), 2);
        assert_eq!(
            decode_input(&inline, Some(Bytes::new()))
                .unwrap()
                .unwrap()
                .num_rows(),
            2
        );
        assert!(decode_input(&header(None), Some(Bytes::new()))
            .unwrap()
            .is_none());
        assert_eq!(
            decode_input(&header(None), Some(ipc()))
                .unwrap()
                .unwrap()
                .num_rows(),
            2
        );
    }

    #[test]
    fn refuses_inputs_given_twice_or_missing() {
        let inline = header(Some(data_ref::Kind::Inline(InlineTable {
            ipc: ipc(),
            num_rows: 2,
        })));
        let both = decode_input(&inline, Some(ipc())).unwrap_err();
        assert_eq!(both.code(), Some(ErrorCode::InvalidInput));
        assert!(
            both.message().contains("one or the other"),
            "{}",
            both.message()
        );
        let streamed = header(Some(data_ref::Kind::Streamed(StreamedTable::default())));
        let unary = decode_input(&streamed, None).unwrap_err();
        assert!(unary.message().contains("unary"), "{}", unary.message());
        let empty = decode_input(&streamed, Some(Bytes::new())).unwrap_err();
        assert_eq!(empty.code(), Some(ErrorCode::InvalidInput));
    }
}
