//! `RunCommand` (protocol §6): runs a Heimdall command, streaming its
//! stdout/stderr lines, its result table in chunks, then one final status.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::core::cancellation::Cancellation;
use crate::core::command::{CommandContext, LineSink, LineStream};
use crate::core::context::CallInfo;
use crate::core::errors::{ErrorCode, HeddleError};
use crate::core::schema;
use crate::proto::{
    run_command_response::Event, CommandState, CommandStatus, RunCommandRequest,
    RunCommandResponse, TableChunk,
};
use crate::sdk::deadline::call_deadline;
use crate::sdk::invoke::{bind_resources, guarded};
use crate::sdk::lifecycle::InflightGuard;
use crate::sdk::output;
use crate::sdk::state::State;

type Sender = mpsc::Sender<Result<RunCommandResponse, Status>>;

/// Lines and chunks queued to the host at most before the command waits.
const QUEUED_EVENTS: usize = 64;

/// Serves one `RunCommand`; every failure is a final `status` event.
pub(crate) async fn run_command(
    state: &Arc<State>,
    request: Request<RunCommandRequest>,
) -> Result<Response<ReceiverStream<Result<RunCommandResponse, Status>>>, Status> {
    let inflight = state.lifecycle.begin_call()?;
    let deadline = call_deadline(request.metadata(), 0, Instant::now());
    let request = request.into_inner();
    let (sender, receiver) = mpsc::channel(QUEUED_EVENTS);
    let state = state.clone();
    tokio::spawn(async move {
        let gone = sender.clone();
        tokio::select! {
            _ = serve(&state, request, deadline, &sender, inflight) => {}
            _ = gone.closed() => {}
        }
    });
    Ok(Response::new(ReceiverStream::new(receiver)))
}

async fn serve(
    state: &Arc<State>,
    request: RunCommandRequest,
    deadline: Option<Instant>,
    sender: &Sender,
    _inflight: InflightGuard,
) {
    let component = state.component(&request.command);
    let status = match run(state, &request, deadline, sender, &component).await {
        Ok(()) => CommandStatus {
            state: CommandState::Succeeded as i32,
            error: None,
            exit_code: 0,
        },
        Err(err) => {
            let cancelled = matches!(
                err.code(),
                Some(ErrorCode::Cancelled | ErrorCode::DeadlineExceeded)
            );
            CommandStatus {
                state: if cancelled {
                    CommandState::Canceled
                } else {
                    CommandState::Failed
                } as i32,
                error: Some(err.to_proto(ErrorCode::CommandFailed, &component)),
                exit_code: 1,
            }
        }
    };
    let _ = sender
        .send(Ok(RunCommandResponse {
            event: Some(Event::Status(status)),
        }))
        .await;
}

async fn run(
    state: &Arc<State>,
    request: &RunCommandRequest,
    deadline: Option<Instant>,
    sender: &Sender,
    component: &str,
) -> Result<(), HeddleError> {
    let def = state
        .plugin
        .find_command(&request.command)
        .cloned()
        .ok_or_else(|| {
            let known: Vec<&str> = state
                .plugin
                .commands
                .iter()
                .map(|c| c.options.name.as_str())
                .collect();
            HeddleError::sdk(
                ErrorCode::UnknownCommand,
                format!(
                    "plugin {:?} has no command {:?}; its commands are {}",
                    state.plugin.namespace,
                    request.command,
                    known.join(", ")
                ),
            )
        })?;
    let context = def.schema.parse(&request.context_json)?;
    let cluster = if request.cluster_json.trim().is_empty() {
        Value::Null
    } else {
        schema::parse_json(&request.cluster_json).map_err(|e| {
            HeddleError::invalid_config("", format!("cluster_json: {}", e.message()))
        })?
    };
    let resources = bind_resources(&state.resources, &[], &request.resources, component)?;
    let cancellation = Cancellation::new();
    let guard = state.calls.register(&request.call_id, cancellation.clone());
    let info = Arc::new(CallInfo {
        call_id: request.call_id.clone(),
        component: component.to_string(),
        deadline: deadline.map(Instant::into_std),
        cancellation: cancellation.clone(),
        resources,
        logger: state
            .logger
            .with("call_id", request.call_id.clone())
            .with("component", component.to_string()),
    });
    info.logger.debug("call started");
    let ctx = CommandContext::new(
        info,
        request.job_id.clone(),
        cluster,
        line_sink(sender.clone()),
    );
    let result = guarded(&cancellation, deadline, component, (def.run)(context, ctx)).await;
    guard.finish();
    let Some(encoded) = output::encode_chunked(result?, component)? else {
        return Ok(());
    };
    for part in encoded.parts {
        let event = RunCommandResponse {
            event: Some(Event::ResultChunk(TableChunk { data: part })),
        };
        if sender.send(Ok(event)).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// Lines go straight to the response stream. Commands run on blocking
/// threads, so waiting there for room in the queue is fine; a closed stream
/// (the caller went away) drops the line.
fn line_sink(sender: Sender) -> LineSink {
    Arc::new(move |stream: LineStream, line: String| {
        let event = match stream {
            LineStream::Stdout => Event::StdoutLine(line),
            LineStream::Stderr => Event::StderrLine(line),
        };
        if let Err(mpsc::error::TrySendError::Full(message)) =
            sender.try_send(Ok(RunCommandResponse { event: Some(event) }))
        {
            let _ = sender.blocking_send(message);
        }
    })
}
