//! A gRPC channel to a plugin's Unix socket, for tests, benchmarks and Rust
//! hosts. Use it with the generated clients in [`crate::proto`].

use std::path::PathBuf;

use hyper_util::rt::TokioIo;
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint};

/// Connects to the plugin listening on `socket`. Fails when nothing accepts
/// connections there.
pub async fn connect_unix(socket: impl Into<PathBuf>) -> Result<Channel, tonic::transport::Error> {
    let socket = socket.into();
    // The URI is required by the API but unused: the connector dials the socket.
    Endpoint::from_static("http://heddle-plugin")
        .connect_with_connector(tower::service_fn(move |_| {
            let socket = socket.clone();
            async move { UnixStream::connect(socket).await.map(TokioIo::new) }
        }))
        .await
}
