//! `PluginService`: the adapter between the generated gRPC service and the
//! SDK (generated code stops here).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant as StdInstant;

use prost::Message;
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Request, Response, Status, Streaming};

use crate::core::errors::{ErrorCode, HeddleError};
use crate::core::panics;
use crate::proto::plugin_service_server::PluginService;
use crate::proto::*;
use crate::sdk::deadline::call_deadline;
use crate::sdk::handshake;
use crate::sdk::pipeline::{self, Answer, Placed};
use crate::sdk::state::State;
use crate::sdk::{commands, output, stream};

/// Implements `heddle.plugin.v1.PluginService` over a plugin's state.
pub struct Servicer {
    pub(crate) state: Arc<State>,
}

#[tonic::async_trait]
impl PluginService for Servicer {
    async fn handshake(
        &self,
        request: Request<HandshakeRequest>,
    ) -> Result<Response<HandshakeResponse>, Status> {
        let request = request.into_inner();
        let Some(version) = handshake::pick_version(&request.protocol_versions) else {
            let offered: Vec<String> = request
                .protocol_versions
                .iter()
                .map(u32::to_string)
                .collect();
            let message = handshake::protocol_message(&offered.join(","));
            let error = Error {
                code: ErrorCode::ProtocolMismatch as i32,
                message: message.clone(),
                ..Default::default()
            };
            return Err(Status::with_details(
                Code::FailedPrecondition,
                message,
                error.encode_to_vec().into(),
            ));
        };
        Ok(Response::new(HandshakeResponse {
            protocol_version: version,
            sdk_name: handshake::SDK_NAME.into(),
            sdk_language: handshake::SDK_LANGUAGE.into(),
            sdk_version: handshake::SDK_VERSION.into(),
            capabilities: handshake::shared_capabilities(
                &request.capabilities,
                self.state.shm.is_some(),
                self.state.frames.load(Ordering::Acquire),
            ),
            pid: std::process::id() as i32,
        }))
    }

    async fn describe(
        &self,
        _request: Request<DescribeRequest>,
    ) -> Result<Response<DescribeResponse>, Status> {
        Ok(Response::new(DescribeResponse {
            manifest: Some(self.state.manifest.clone()),
        }))
    }

    async fn open_resource(
        &self,
        request: Request<OpenResourceRequest>,
    ) -> Result<Response<OpenResourceResponse>, Status> {
        let _inflight = self.state.lifecycle.begin_call()?;
        let request = request.into_inner();
        let component = self.state.component(&request.resource);
        let answer = match open(&self.state, request).await {
            Ok(instance_id) => OpenResourceResponse {
                instance_id,
                error: None,
            },
            Err(err) => OpenResourceResponse {
                instance_id: String::new(),
                error: Some(err.to_proto(ErrorCode::ResourceInitFailed, &component)),
            },
        };
        Ok(Response::new(answer))
    }

    async fn close_resource(
        &self,
        request: Request<CloseResourceRequest>,
    ) -> Result<Response<CloseResourceResponse>, Status> {
        let id = request.into_inner().instance_id;
        let Some(resource) = self.state.resources.remove(&id) else {
            let err = HeddleError::sdk(
                ErrorCode::ResourceNotOpen,
                format!(
                    "resource instance {id:?} is not open (already closed, or never opened here)"
                ),
            );
            return Ok(Response::new(CloseResourceResponse {
                error: Some(err.to_proto(ErrorCode::ResourceNotOpen, "")),
            }));
        };
        let component = self.state.component(&resource.kind);
        let closed = tokio::task::spawn_blocking(move || panics::catch(|| resource.close()))
            .await
            .unwrap_or_else(|e| Err(HeddleError::msg(e.to_string())));
        let error = closed.err().map(|e| {
            let e = HeddleError::sdk(
                e.code().unwrap_or(ErrorCode::StepFailed),
                format!("closing resource instance {id:?} failed: {}", e.message()),
            );
            e.to_proto(ErrorCode::StepFailed, &component)
        });
        Ok(Response::new(CloseResourceResponse { error }))
    }

    async fn invoke(
        &self,
        request: Request<InvokeRequest>,
    ) -> Result<Response<InvokeResponse>, Status> {
        let _inflight = self.state.lifecycle.begin_call()?;
        let started = StdInstant::now();
        let metadata = request.metadata().clone();
        let header = request.into_inner().header.ok_or_else(|| {
            Status::invalid_argument(
                "InvokeRequest has no header; set header.step and header.config_json",
            )
        })?;
        let deadline = call_deadline(&metadata, header.timeout_ms, Instant::now());
        let component = self.state.component(&header.step);
        let outcome = unary(&self.state, &header, deadline).await;
        Ok(Response::new(pipeline::response(
            outcome, &component, started,
        )))
    }

    type InvokeStreamStream = ReceiverStream<Result<InvokeStreamResponse, Status>>;

    async fn invoke_stream(
        &self,
        request: Request<Streaming<InvokeStreamRequest>>,
    ) -> Result<Response<Self::InvokeStreamStream>, Status> {
        stream::invoke_stream(&self.state, request).await
    }

    type RunCommandStream = ReceiverStream<Result<RunCommandResponse, Status>>;

    async fn run_command(
        &self,
        request: Request<RunCommandRequest>,
    ) -> Result<Response<Self::RunCommandStream>, Status> {
        commands::run_command(&self.state, request).await
    }
}

/// A unary call: the shared pipeline with the input inline or by handle in
/// the header, and the output by handle or inline (≤ 16 MiB).
async fn unary(
    state: &Arc<State>,
    header: &InvokeHeader,
    deadline: Option<Instant>,
) -> Result<Option<Answer>, HeddleError> {
    let limit = state.max_unary_output;
    let input = async { pipeline::decode_input(header, None) };
    let placed = pipeline::execute(state, header, deadline, input, |output, component| {
        output::encode_inline(output, limit, component)
    })
    .await?;
    Ok(match placed {
        Placed::Nothing => None,
        Placed::Segment(segment) => Some(Answer::segment(segment)),
        Placed::Encoded(encoded) => Some(Answer {
            kind: data_ref::Kind::Inline(InlineTable {
                ipc: encoded.parts.into_iter().next().unwrap_or_default(),
                num_rows: encoded.rows,
            }),
            rows: encoded.rows,
            bytes: encoded.bytes,
        }),
    })
}

/// Opens a resource instance: kind exists, config valid, constructor runs.
async fn open(state: &Arc<State>, request: OpenResourceRequest) -> Result<String, HeddleError> {
    let def = state
        .plugin
        .find_resource(&request.resource)
        .cloned()
        .ok_or_else(|| {
            let known: Vec<&str> = state
                .plugin
                .resources
                .iter()
                .map(|r| r.options.name.as_str())
                .collect();
            HeddleError::sdk(
                ErrorCode::UnknownResource,
                format!(
                    "plugin {:?} has no resource kind {:?}; its resources are {}",
                    state.plugin.namespace,
                    request.resource,
                    known.join(", ")
                ),
            )
        })?;
    let config = def.schema.parse(&request.config_json)?;
    let opened = tokio::task::spawn_blocking(move || panics::catch(|| (def.open)(config)))
        .await
        .unwrap_or_else(|e| Err(HeddleError::msg(e.to_string())))?;
    let id = state.resources.insert(opened);
    state
        .logger
        .with("instance", id.clone())
        .debug("resource opened");
    Ok(id)
}
