//! Steps: the plugin functions a workflow calls with a config and an input
//! table (protocol §5). This module holds what a step returns ([`Output`]),
//! the empty config ([`NoConfig`]) and how typed step functions are wrapped
//! into the SDK's uniform runner.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use bytes::Bytes;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use tokio::runtime::{Handle, RuntimeFlavor};

use crate::core::context::{self, StepContext};
use crate::core::errors::HeddleError;
use crate::core::options::Requirement;
use crate::core::pace::{Pace, SMALL_INPUT_ROWS};
use crate::core::panics::{self, CatchPanic};
use crate::core::schema::{self, ConfigSchema};
use crate::core::table::Table;

/// What a step produced.
#[derive(Clone, Debug)]
pub enum Output {
    /// A table (the usual case).
    Table(Table),
    /// No table: the step is a sink.
    Nothing,
    /// Arrow IPC stream bytes the step already has (e.g. passed through from
    /// another service). The SDK checks them: bytes that are not a valid IPC
    /// stream are `INVALID_OUTPUT`, as any output that is not a table.
    Ipc(Bytes),
}

impl From<Table> for Output {
    fn from(table: Table) -> Self {
        Output::Table(table)
    }
}

impl From<RecordBatch> for Output {
    fn from(batch: RecordBatch) -> Self {
        Output::Table(Table::from_batch(batch))
    }
}

impl From<Option<Table>> for Output {
    fn from(table: Option<Table>) -> Self {
        table.map_or(Output::Nothing, Output::Table)
    }
}

impl From<()> for Output {
    fn from(_: ()) -> Self {
        Output::Nothing
    }
}

/// The config of a step that takes none: it accepts `{}` only.
#[derive(Clone, Copy, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoConfig {}

/// The future a step's runner returns.
pub(crate) type StepFuture = Pin<Box<dyn Future<Output = Result<Output, HeddleError>> + Send>>;

/// A step (or handler) with its config type erased: takes the validated
/// config value, the input table and the context.
pub(crate) type StepRunner = Arc<dyn Fn(Value, Table, StepContext) -> StepFuture + Send + Sync>;

/// Whether a registered function is a step or an error handler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ComponentKind {
    Step,
    Handler,
}

/// A registered step or handler.
pub(crate) struct StepDef {
    pub(crate) kind: ComponentKind,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) resources: Vec<Requirement>,
    pub(crate) takes_input: bool,
    pub(crate) input_schema: Option<SchemaRef>,
    pub(crate) output_schema: Option<SchemaRef>,
    pub(crate) schema: ConfigSchema,
    pub(crate) run: StepRunner,
    /// For a blocking step, how quick its recent runs were ([`Pace`]): the
    /// frame lane runs the calls of trusted steps on its own thread.
    pub(crate) pace: Option<Arc<Pace>>,
}

/// Wraps a blocking step function, with panics caught and
/// [`context::current`] set. On the multi-threaded runtime that `serve`
/// builds it runs in place (`block_in_place`: tokio first hands this
/// worker's other tasks to another thread, so the server keeps answering,
/// Cancel included); that saves the two cross-thread wake-ups of
/// `spawn_blocking`, most of a small call's cost on a 2-vCPU machine.
/// A step whose recent runs on small inputs all took microseconds runs
/// straight on the worker ([`Pace`]), saving the hand-off's wake-up too.
/// Elsewhere (a current-thread runtime) it goes to the blocking pool,
/// unless trusted so.
pub(crate) fn blocking<C, O, F>(f: F) -> (StepRunner, Option<Arc<Pace>>)
where
    C: DeserializeOwned + 'static,
    O: Into<Output>,
    F: Fn(C, Table, &StepContext) -> Result<O, HeddleError> + Send + Sync + 'static,
{
    let f = Arc::new(f);
    let pace = Arc::new(Pace::default());
    let shared = pace.clone();
    let run: StepRunner = Arc::new(move |config: Value, input: Table, ctx: StepContext| {
        let (f, pace) = (f.clone(), pace.clone());
        let trusted = pace.trusted();
        Box::pin(async move {
            let small = input.num_rows() <= SMALL_INPUT_ROWS;
            let run = move || {
                let _current = context::enter(&ctx);
                let started = Instant::now();
                let result = panics::catch(|| {
                    let config: C = schema::decode(config)?;
                    f(config, input, &ctx).map(Into::into)
                });
                pace.record(started.elapsed());
                result
            };
            if Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread {
                if small && trusted {
                    return run();
                }
                return tokio::task::block_in_place(run);
            }
            if small && trusted {
                return run(); // a quick step on a current-thread runtime (the frame lane's)
            }
            let work = tokio::task::spawn_blocking(run);
            work.await
                .unwrap_or_else(|e| Err(HeddleError::msg(format!("the step's task failed: {e}"))))
        }) as StepFuture
    });
    (run, Some(shared))
}

/// Wraps an async step function: it runs as its own task (so a call that is
/// answered early because it was cancelled lets the step finish its
/// clean-up), with panics caught.
pub(crate) fn asynchronous<C, O, F, Fut>(f: F) -> StepRunner
where
    C: DeserializeOwned + 'static,
    O: Into<Output>,
    F: Fn(C, Table, StepContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<O, HeddleError>> + Send + 'static,
{
    let f = Arc::new(f);
    Arc::new(move |config: Value, input: Table, ctx: StepContext| {
        let f = f.clone();
        Box::pin(async move {
            let config: C = schema::decode(config)?;
            let future = f(config, input, ctx);
            let work = tokio::spawn(CatchPanic::new(async move { future.await.map(Into::into) }));
            work.await
                .unwrap_or_else(|e| Err(HeddleError::msg(format!("the step's task failed: {e}"))))
        }) as StepFuture
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::cancellation::Cancellation;
    use crate::core::context::CallInfo;
    use crate::core::errors::ErrorCode;
    use crate::core::logger::Logger;
    use std::collections::HashMap;

    fn ctx() -> StepContext {
        StepContext::new(Arc::new(CallInfo {
            call_id: "c".into(),
            component: "demo.s".into(),
            deadline: None,
            cancellation: Cancellation::new(),
            resources: HashMap::new(),
            logger: Logger::new(),
        }))
    }

    #[derive(Deserialize, JsonSchema)]
    struct Rows {
        rows: usize,
    }

    #[tokio::test]
    async fn blocking_steps_see_their_context_and_config() {
        let (run, _) = blocking(|config: Rows, _: Table, ctx: &StepContext| {
            assert_eq!(context::current().unwrap().call_id(), ctx.call_id());
            Ok::<_, HeddleError>(if config.rows > 0 {
                Output::Nothing
            } else {
                Output::Table(Table::none())
            })
        });
        let out = run(serde_json::json!({"rows": 1}), Table::none(), ctx())
            .await
            .unwrap();
        assert!(matches!(out, Output::Nothing));
        let err = run(serde_json::json!({"rows": "x"}), Table::none(), ctx())
            .await
            .unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::InvalidConfig));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn blocking_steps_run_in_place_on_the_server_runtime() {
        let (run, _) = blocking(|_: Rows, _: Table, _: &StepContext| {
            if true {
                panic!("in place");
            }
            Ok::<_, HeddleError>(())
        });
        let err = run(serde_json::json!({"rows": 1}), Table::none(), ctx())
            .await
            .unwrap_err();
        assert!(err.message().contains("in place"), "{}", err.message());
    }

    #[tokio::test]
    async fn async_steps_run_and_their_panics_are_caught() {
        let run = asynchronous(|config: Rows, input: Table, ctx: StepContext| async move {
            assert!(!ctx.cancelled());
            if config.rows == 99 {
                panic!("async step broke");
            }
            Ok::<_, HeddleError>(input)
        });
        let out = run(serde_json::json!({"rows": 1}), Table::none(), ctx())
            .await
            .unwrap();
        assert!(matches!(out, Output::Table(t) if t.num_rows() == 0));
        let err = run(serde_json::json!({"rows": 99}), Table::none(), ctx())
            .await
            .unwrap_err();
        assert!(
            err.is_plain() && err.message().contains("async step broke"),
            "{}",
            err.message()
        );
    }
}
