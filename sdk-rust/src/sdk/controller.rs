//! `ControllerService`: the host's control channel (cancel a call, shut down).

use std::sync::Arc;
use std::time::Duration;

use tonic::{Request, Response, Status};

use crate::proto::controller_service_server::ControllerService;
use crate::proto::{
    CancelRequest, CancelResponse, ReleaseSegmentsRequest, ReleaseSegmentsResponse,
    ShutdownRequest, ShutdownResponse,
};
use crate::sdk::state::State;

/// Grace period when `Shutdown` gives none (protocol §11: 2000 ms).
const DEFAULT_GRACE: Duration = Duration::from_millis(2000);

/// Implements `heddle.plugin.v1.ControllerService`.
pub(crate) struct Controller {
    pub(crate) state: Arc<State>,
}

#[tonic::async_trait]
impl ControllerService for Controller {
    async fn cancel(
        &self,
        request: Request<CancelRequest>,
    ) -> Result<Response<CancelResponse>, Status> {
        let request = request.into_inner();
        let found = self.state.calls.cancel(&request.call_id, &request.reason);
        self.state
            .logger
            .with("call_id", request.call_id)
            .debug(if found {
                "call cancelled"
            } else {
                "cancel: no such call running"
            });
        Ok(Response::new(CancelResponse { found }))
    }

    async fn shutdown(
        &self,
        request: Request<ShutdownRequest>,
    ) -> Result<Response<ShutdownResponse>, Status> {
        let grace_ms = request.into_inner().grace_ms;
        let grace = if grace_ms == 0 {
            DEFAULT_GRACE
        } else {
            Duration::from_millis(grace_ms.into())
        };
        // The reply goes out before the process exits: `serve` lets the
        // server finish answering before it returns.
        if self.state.lifecycle.request_stop(grace) {
            self.state
                .logger
                .with("grace_ms", grace.as_millis() as u64)
                .info("shutdown requested by the host");
        }
        Ok(Response::new(ShutdownResponse {}))
    }

    async fn release_segments(
        &self,
        request: Request<ReleaseSegmentsRequest>,
    ) -> Result<Response<ReleaseSegmentsResponse>, Status> {
        // The SDK keeps nothing of a segment it produced (the file is closed
        // and no mapping of it is held once the answer is sent, protocol
        // §8.2), and the host unlinks the files: nothing to drop here.
        let ids = request.into_inner().segment_ids;
        self.state
            .logger
            .with("segments", ids.join(","))
            .debug("segments released by the host");
        Ok(Response::new(ReleaseSegmentsResponse {}))
    }
}
