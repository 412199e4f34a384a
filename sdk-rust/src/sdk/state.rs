//! What the gRPC services share while a plugin serves: the registered
//! plugin, its manifest, open resources, running calls and the lifecycle.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::core::logger::Logger;
use crate::core::resource::ResourceRegistry;
use crate::core::shm::ShmDir;
use crate::proto;
use crate::sdk::calls::CallRegistry;
use crate::sdk::lifecycle::Lifecycle;
use crate::sdk::plugin::Plugin;

/// Shared server state.
pub(crate) struct State {
    pub(crate) plugin: Plugin,
    pub(crate) manifest: proto::Manifest,
    pub(crate) resources: ResourceRegistry,
    pub(crate) calls: Arc<CallRegistry>,
    pub(crate) lifecycle: Arc<Lifecycle>,
    pub(crate) logger: Logger,
    /// Largest unary `Invoke` output (protocol: 16 MiB).
    pub(crate) max_unary_output: usize,
    /// The writable `HEDDLE_SHM_DIR`, when there is one: the plugin then
    /// offers `shm` and may answer outputs by handle.
    pub(crate) shm: Option<ShmDir>,
    /// Whether the frame lane listens (set before the handshake line): the
    /// plugin then offers `frames`.
    pub(crate) frames: AtomicBool,
}

impl State {
    pub(crate) fn new(
        plugin: Plugin,
        manifest: proto::Manifest,
        logger: Logger,
        shm: Option<ShmDir>,
    ) -> Arc<Self> {
        Arc::new(State {
            plugin,
            manifest,
            resources: ResourceRegistry::default(),
            calls: Arc::new(CallRegistry::default()),
            lifecycle: Lifecycle::new(),
            logger,
            max_unary_output: 16 * 1024 * 1024,
            shm,
            frames: AtomicBool::new(false),
        })
    }

    /// `namespace.name`, as errors name components.
    pub(crate) fn component(&self, name: &str) -> String {
        format!("{}.{}", self.plugin.namespace, name)
    }

    /// Closes every open resource instance (at shutdown), logging failures.
    pub(crate) fn close_all_resources(&self) {
        for (id, resource) in self.resources.drain() {
            if let Err(err) = crate::core::panics::catch(|| resource.close()) {
                self.logger
                    .with("instance", id)
                    .warn(&format!("closing the resource failed: {err}"));
            }
        }
    }
}
