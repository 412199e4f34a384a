//! Heimdall commands (protocol §6): functions run with a job's context that
//! stream stdout/stderr lines while they work and may return a result table.

use std::sync::Arc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::core::context::{self, CallInfo, StepContext};
use crate::core::errors::HeddleError;
use crate::core::logger::Logger;
use crate::core::options::CommandOptions;
use crate::core::panics;
use crate::core::resource::Resource;
use crate::core::schema::{self, ConfigSchema};
use crate::core::step::{Output, StepFuture};

/// Which stream a command line goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineStream {
    /// The command's standard output.
    Stdout,
    /// The command's standard error.
    Stderr,
}

/// Where a command's lines go (the RunCommand response stream).
pub(crate) type LineSink = Arc<dyn Fn(LineStream, String) + Send + Sync>;

/// The context of one command run: its job, cluster, cancellation, bound
/// resources and its output lines.
#[derive(Clone)]
pub struct CommandContext {
    info: Arc<CallInfo>,
    job_id: String,
    cluster: Arc<Value>,
    lines: LineSink,
}

impl CommandContext {
    pub(crate) fn new(
        info: Arc<CallInfo>,
        job_id: String,
        cluster: Value,
        lines: LineSink,
    ) -> Self {
        CommandContext {
            info,
            job_id,
            cluster: Arc::new(cluster),
            lines,
        }
    }

    /// Sends one line of standard output to the caller, as it happens.
    /// Lines are dropped silently once the caller has gone away.
    pub fn stdout(&self, line: impl Into<String>) {
        (self.lines)(LineStream::Stdout, line.into())
    }

    /// Sends one line of standard error to the caller, as it happens.
    pub fn stderr(&self, line: impl Into<String>) {
        (self.lines)(LineStream::Stderr, line.into())
    }

    /// The host's id of this run.
    pub fn call_id(&self) -> &str {
        &self.info.call_id
    }

    /// The Heimdall job id (may be empty).
    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    /// The selected cluster (name, tags, context) as JSON; `null` if none.
    pub fn cluster(&self) -> &Value {
        &self.cluster
    }

    /// Whether the run was cancelled or ran past its deadline.
    pub fn cancelled(&self) -> bool {
        self.info.cancellation.is_cancelled()
    }

    /// `Err` (`CANCELLED` or `DEADLINE_EXCEEDED`) once the run is cancelled.
    pub fn check_cancelled(&self) -> Result<(), HeddleError> {
        self.step_context().check_cancelled()
    }

    /// Sleeps up to `duration`, waking early (true) when cancelled.
    pub fn sleep(&self, duration: Duration) -> bool {
        self.info.cancellation.wait_timeout(duration)
    }

    /// A logger whose lines carry `call_id` and `component` fields.
    pub fn logger(&self) -> &Logger {
        &self.info.logger
    }

    /// The resource bound as `binding`. Fails with `MISSING_RESOURCE` when the
    /// run bound none, or a plain error when it is not a `T`.
    pub fn resource<T: Resource>(&self, binding: &str) -> Result<Arc<T>, HeddleError> {
        self.info.resource(binding)
    }

    fn step_context(&self) -> StepContext {
        StepContext::new(self.info.clone())
    }
}

/// A command with its context type erased.
pub(crate) type CommandRunner = Arc<dyn Fn(Value, CommandContext) -> StepFuture + Send + Sync>;

/// A registered command.
pub(crate) struct CommandDef {
    pub(crate) options: CommandOptions,
    pub(crate) schema: ConfigSchema,
    pub(crate) run: CommandRunner,
}

impl CommandDef {
    /// Wraps a blocking command function; it runs on the blocking pool with
    /// panics caught.
    pub(crate) fn new<C, O, F>(options: CommandOptions, f: F) -> Self
    where
        C: DeserializeOwned + JsonSchema + 'static,
        O: Into<Output>,
        F: Fn(C, &CommandContext) -> Result<O, HeddleError> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let run: CommandRunner = Arc::new(move |context: Value, ctx: CommandContext| {
            let f = f.clone();
            Box::pin(async move {
                let work = tokio::task::spawn_blocking(move || {
                    let _current = context::enter(&ctx.step_context());
                    panics::catch(|| {
                        let context: C = schema::decode(context)?;
                        f(context, &ctx).map(Into::into)
                    })
                });
                work.await.unwrap_or_else(|e| {
                    Err(HeddleError::msg(format!("the command's task failed: {e}")))
                })
            }) as StepFuture
        });
        CommandDef {
            options,
            schema: ConfigSchema::of::<C>(),
            run,
        }
    }
}
