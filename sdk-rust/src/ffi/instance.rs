//! [`InProcessPlugin`]: a plugin loaded into a host process. It keeps what
//! a serving plugin keeps (resources, a runtime for async steps) and runs
//! the protocol's call checks (§5.1, in the same order and with the same
//! codes as the gRPC server) on calls made through the C ABI.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::core::cancellation::Cancellation;
use crate::core::context::{CallInfo, StepContext};
use crate::core::errors::{ErrorCode, HeddleError};
use crate::core::logger::Logger;
use crate::core::panics;
use crate::core::resource::{OpenResource, ResourceRegistry};
use crate::core::step::Output;
use crate::core::table::Table;
use crate::ffi::cancel_flag::{self, CancelFlag};
use crate::proto;
use crate::sdk::invoke::guarded;
use crate::sdk::plugin::Plugin;

/// How the host may end a call early (`heddle_invoke_cancellable`): its
/// cancel flag and the time the call has. Default: neither.
#[derive(Clone, Copy, Default)]
pub struct CallLimits {
    pub(crate) flag: Option<CancelFlag>,
    /// Time left when the call starts.
    pub(crate) deadline: Option<Duration>,
}

impl CallLimits {
    /// The limits of one ABI call: `cancel` null for none, `deadline_ms` 0 for none.
    ///
    /// # Safety
    /// `cancel` is null or an aligned `int32_t` readable until the call returns.
    pub unsafe fn from_abi(cancel: *const i32, deadline_ms: u32) -> Self {
        CallLimits {
            flag: CancelFlag::from_raw(cancel),
            deadline: (deadline_ms > 0).then(|| Duration::from_millis(u64::from(deadline_ms))),
        }
    }
}

/// A plugin serving calls in-process. Built once per library by
/// [`export_plugin!`](crate::export_plugin).
pub struct InProcessPlugin {
    plugin: Plugin,
    manifest: Result<proto::Manifest, HeddleError>,
    resources: ResourceRegistry,
    runtime: tokio::runtime::Runtime,
    logger: Logger,
    calls: AtomicU64,
}

impl InProcessPlugin {
    /// Wraps a plugin. Panics only if a tokio runtime cannot be built (no
    /// threads left), which the host reports as a failed load.
    pub fn new(plugin: Plugin) -> Self {
        let manifest = plugin.manifest();
        // Two workers: async steps get a runtime like under `serve`, and
        // blocking steps run in place on the host's calling thread.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("heddle-inprocess")
            .enable_all()
            .build()
            .expect("building the in-process tokio runtime");
        InProcessPlugin {
            plugin,
            manifest,
            resources: ResourceRegistry::default(),
            runtime,
            logger: Logger::new(),
            calls: AtomicU64::new(0),
        }
    }

    /// The manifest. Fails with `INVALID_OUTPUT` when a schema could not be encoded.
    pub fn manifest(&self) -> Result<&proto::Manifest, HeddleError> {
        self.manifest.as_ref().map_err(|e| {
            HeddleError::new(
                e.code().unwrap_or(ErrorCode::InvalidOutput),
                e.message().to_string(),
            )
        })
    }

    fn component(&self, name: &str) -> String {
        format!("{}.{}", self.plugin.namespace(), name)
    }

    /// Opens a resource instance and returns its id. Fails with
    /// `UNKNOWN_RESOURCE`, `INVALID_CONFIG`, or the constructor's error
    /// (plain: reported as `RESOURCE_INIT_FAILED`).
    pub fn open_resource(&self, kind: &str, config_json: &str) -> Result<String, HeddleError> {
        let component = self.component(kind);
        let def = self.plugin.find_resource(kind).cloned().ok_or_else(|| {
            let known: Vec<&str> = self
                .plugin
                .resources
                .iter()
                .map(|r| r.options.name.as_str())
                .collect();
            HeddleError::new(
                ErrorCode::UnknownResource,
                format!(
                    "plugin {:?} has no resource kind {kind:?}; its resources are {}",
                    self.plugin.namespace(),
                    known.join(", ")
                ),
            )
        });
        let def = def.map_err(|e| e.with_component(component.clone()))?;
        let config = def
            .schema
            .parse(config_json)
            .map_err(|e| e.with_component(component.clone()))?;
        // A plain error stays plain: the ABI reports it as RESOURCE_INIT_FAILED.
        let opened = panics::catch(|| (def.open)(config))
            .map_err(|e| e.with_component(component.clone()))?;
        Ok(self.resources.insert(opened))
    }

    /// Closes a resource instance (its close hook runs). Fails with
    /// `RESOURCE_NOT_OPEN` for an unknown id, or the hook's error.
    pub fn close_resource(&self, id: &str) -> Result<(), HeddleError> {
        let resource = self.resources.remove(id).ok_or_else(|| {
            HeddleError::new(
                ErrorCode::ResourceNotOpen,
                format!(
                    "resource instance {id:?} is not open (already closed, or never opened here)"
                ),
            )
        })?;
        panics::catch(|| resource.close())
            .map_err(|e| e.with_component(self.component(&resource.kind)))
    }

    /// Runs step `step` with its config, bindings (binding → instance id)
    /// and input (`None` when the host sent none). Checks as the gRPC server
    /// does: `UNKNOWN_STEP`, `INVALID_CONFIG`, `MISSING_RESOURCE`,
    /// `RESOURCE_NOT_OPEN`, `INVALID_INPUT`; then the step's own errors
    /// (plain ones are `STEP_FAILED`). `Ok(None)` for a sink. Once the host
    /// sets `limits`' flag or the deadline passes, the step's context is
    /// cancelled and the call answers `CANCELLED` / `DEADLINE_EXCEEDED`,
    /// whatever the step returns after that (as under `serve()`).
    pub fn invoke(
        &self,
        step: &str,
        config_json: &str,
        bindings: &HashMap<String, String>,
        input: Option<Table>,
        limits: CallLimits,
    ) -> Result<Option<Table>, HeddleError> {
        let component = self.component(step);
        let def = self.plugin.find_step(step).cloned().ok_or_else(|| {
            let mut known: Vec<&str> = self.plugin.steps.iter().map(|s| s.name.as_str()).collect();
            known.sort_unstable();
            HeddleError::new(
                ErrorCode::UnknownStep,
                format!(
                    "plugin {:?} has no step {step:?}; its steps are {}",
                    self.plugin.namespace(),
                    known.join(", ")
                ),
            )
            .with_component(component.clone())
        })?;
        let config: Value = def
            .schema
            .parse(config_json)
            .map_err(|e| e.with_component(component.clone()))?;
        let resources = self.bind(&def.resources, bindings, &component)?;
        let input = match (def.takes_input, input) {
            (true, Some(table)) => table,
            (true, None) => {
                return Err(HeddleError::new(
                    ErrorCode::InvalidInput,
                    format!("{component} takes an input table but the call sent none"),
                )
                .with_component(component))
            }
            (false, _) => Table::none(),
        };
        let call_id = format!(
            "inprocess-{}",
            self.calls.fetch_add(1, Ordering::Relaxed) + 1
        );
        let cancellation = Cancellation::new();
        let deadline = limits
            .deadline
            .map(|left| tokio::time::Instant::now() + left);
        let info = Arc::new(CallInfo {
            call_id: call_id.clone(),
            component: component.clone(),
            deadline: deadline.map(tokio::time::Instant::into_std),
            cancellation: cancellation.clone(),
            resources,
            logger: self
                .logger
                .with("call_id", call_id)
                .with("component", component.clone()),
        });
        // The step runs on the calling (host) thread; async steps are
        // driven by the plugin's runtime from there, and so are the deadline
        // watchdog and the flag watcher, which cancel a blocking step too.
        let output = self.runtime.block_on(async {
            let watcher = limits
                .flag
                .map(|flag| tokio::spawn(cancel_flag::watch(flag, cancellation.clone())));
            let run = async {
                (def.run)(config, input, StepContext::new(info))
                    .await
                    .map_err(|e| e.with_component(component.clone()))
            };
            let output = guarded(&cancellation, deadline, &component, run).await;
            if let Some(watcher) = watcher {
                // Awaited, not only aborted: the flag must not be read once the call returns.
                watcher.abort();
                let _ = watcher.await;
            }
            output
        });
        // A plain error stays plain (with its stack): the ABI reports it as STEP_FAILED.
        let output = output?;
        match output {
            Output::Table(table) => Ok(Some(table)),
            Output::Nothing => Ok(None),
            Output::Ipc(bytes) => Table::from_ipc(bytes).map(Some).map_err(|e| {
                HeddleError::new(
                    ErrorCode::InvalidOutput,
                    format!(
                        "{component} returned IPC bytes that are not an Arrow stream: {}",
                        e.message()
                    ),
                )
            }),
        }
    }

    /// The gRPC server's own binding check (`MISSING_RESOURCE`, `RESOURCE_NOT_OPEN`).
    fn bind(
        &self,
        needs: &[crate::core::options::Requirement],
        given: &HashMap<String, String>,
        component: &str,
    ) -> Result<HashMap<String, OpenResource>, HeddleError> {
        crate::sdk::invoke::bind_resources(&self.resources, needs, given, component)
    }
}
