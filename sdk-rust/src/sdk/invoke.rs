//! The call pipeline shared by `Invoke` and `InvokeStream` (protocol §5.1):
//! check the step, its config and its resources in that order (for the
//! header's step and each fused stage of `then`, §5.4), then run the steps
//! in order under the call's cancellation and deadline, each stage taking the
//! previous step's `Table` by value (in memory: no IPC, no copy).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use tokio::time::Instant;

use crate::core::cancellation::{CancelReason, Cancellation};
use crate::core::context::{CallInfo, StepContext};
use crate::core::errors::{ErrorCode, HeddleError};
use crate::core::options::Requirement;
use crate::core::resource::{OpenResource, ResourceRegistry};
use crate::core::step::{Output, StepDef};
use crate::core::table::Table;
use crate::proto::InvokeHeader;
use crate::sdk::state::State;

/// A call that passed checks 1–3, ready to run once its input is decoded.
pub(crate) struct Prepared {
    pub(crate) def: Arc<StepDef>,
    pub(crate) component: String,
    config: Value,
    resources: HashMap<String, OpenResource>,
}

/// Checks the header's step, then each stage of `then`, before anything
/// runs (see [`prepare_step`]); an error names the failing stage's step.
pub(crate) fn prepare(state: &State, header: &InvokeHeader) -> Result<Vec<Prepared>, HeddleError> {
    let mut steps = vec![prepare_step(
        state,
        &header.step,
        &header.config_json,
        &header.resources,
    )?];
    for stage in &header.then {
        steps.push(prepare_step(
            state,
            &stage.step,
            &stage.config_json,
            &stage.resources,
        )?);
    }
    Ok(steps)
}

/// The component (`namespace.step`) whose output a prepared call answers
/// with: its last stage.
pub(crate) fn producer(steps: &[Prepared]) -> String {
    steps
        .last()
        .map(|p| p.component.clone())
        .unwrap_or_default()
}

/// Checks, in the protocol's order, that the step exists (`UNKNOWN_STEP`),
/// its config matches the schema (`INVALID_CONFIG`), and its resource
/// bindings are given (`MISSING_RESOURCE`), open and of the right kind
/// (`RESOURCE_NOT_OPEN`). Errors carry the component.
pub(crate) fn prepare_step(
    state: &State,
    step: &str,
    config_json: &str,
    given: &HashMap<String, String>,
) -> Result<Prepared, HeddleError> {
    let component = state.component(step);
    let def = state.plugin.find_step(step).cloned().ok_or_else(|| {
        let mut known: Vec<&str> = state.plugin.steps.iter().map(|s| s.name.as_str()).collect();
        known.sort_unstable();
        HeddleError::sdk(
            ErrorCode::UnknownStep,
            format!(
                "plugin {:?} has no step {:?}; its steps are {}",
                state.plugin.namespace,
                step,
                known.join(", ")
            ),
        )
        .with_component(component.clone())
    })?;
    let config = def
        .schema
        .parse(config_json)
        .map_err(|e| e.with_component(component.clone()))?;
    let resources = bind_resources(&state.resources, &def.resources, given, &component)?;
    Ok(Prepared {
        def,
        component,
        config,
        resources,
    })
}

/// Resolves the call's bindings against the step's requirements; bindings
/// the step does not declare are passed through when open.
pub(crate) fn bind_resources(
    open_resources: &ResourceRegistry,
    needs: &[Requirement],
    given: &HashMap<String, String>,
    component: &str,
) -> Result<HashMap<String, OpenResource>, HeddleError> {
    let mut bound = HashMap::new();
    for need in needs {
        if !given.contains_key(&need.binding) && !need.optional {
            return Err(HeddleError::sdk(
                ErrorCode::MissingResource,
                format!(
                    "{component} needs a {:?} resource bound as {:?}; open one and pass its instance id under {:?}",
                    need.kind, need.binding, need.binding
                ),
            )
            .with_component(component));
        }
    }
    for (binding, id) in given {
        let open = open_resources.get(id).ok_or_else(|| {
            HeddleError::sdk(
                ErrorCode::ResourceNotOpen,
                format!("resource instance {id:?} (bound as {binding:?}) is not open in this plugin; open it first or check the id"),
            )
            .with_component(component)
        })?;
        if let Some(need) = needs.iter().find(|n| &n.binding == binding) {
            if open.kind != need.kind {
                return Err(HeddleError::sdk(
                    ErrorCode::ResourceNotOpen,
                    format!(
                        "resource instance {id:?} bound as {binding:?} is a {:?}, but {component} needs a {:?} there",
                        open.kind, need.kind
                    ),
                )
                .with_component(component));
            }
        }
        bound.insert(binding.clone(), open);
    }
    Ok(bound)
}

/// Runs prepared steps in order. `input` is `None` when the call sent no
/// table; each next step gets the previous output `Table` itself (a sink's
/// or a source's neighbour gets [`Table::none`]). Answers `CANCELLED` /
/// `DEADLINE_EXCEEDED` as soon as the call is cancelled or its deadline
/// passes, whatever a step returns later; a plain error from step code
/// becomes `STEP_FAILED` when sent. Every error names the step it came from.
pub(crate) async fn run(
    state: &Arc<State>,
    steps: Vec<Prepared>,
    input: Option<Table>,
    call_id: &str,
    deadline: Option<Instant>,
) -> Result<Output, HeddleError> {
    let first = steps
        .first()
        .map(|p| p.component.clone())
        .unwrap_or_default();
    let cancellation = Cancellation::new();
    let guard = state.calls.register(call_id, cancellation.clone());
    let chain = async {
        let mut current = input;
        let mut output = Output::Nothing;
        let mut previous: Option<String> = None;
        for prepared in steps {
            if cancellation.reason().is_some() {
                break; // `guarded` answers with the reason
            }
            if let Some(producer) = previous.take() {
                current = Some(into_table(output, &producer)?);
            }
            previous = Some(prepared.component.clone());
            output = run_one(
                state,
                prepared,
                current.take(),
                call_id,
                deadline,
                &cancellation,
            )
            .await?;
        }
        Ok(output)
    };
    let result = guarded(&cancellation, deadline, &first, chain).await;
    guard.finish();
    result
}

/// The output of `producer` as the next stage's input: the table itself,
/// an empty table after a sink, or the IPC bytes it returned decoded
/// (`INVALID_OUTPUT` naming `producer` when they are not an IPC stream).
fn into_table(output: Output, producer: &str) -> Result<Table, HeddleError> {
    match output {
        Output::Table(table) => Ok(table),
        Output::Nothing => Ok(Table::none()),
        Output::Ipc(bytes) => Table::from_ipc(bytes).map_err(|e| {
            HeddleError::sdk(
                ErrorCode::InvalidOutput,
                format!(
                    "{producer} returned bytes that are not an Arrow IPC stream: {}",
                    e.message()
                ),
            )
            .with_component(producer)
        }),
    }
}

/// Runs one step of a call on its input with the call's cancellation.
async fn run_one(
    state: &Arc<State>,
    prepared: Prepared,
    input: Option<Table>,
    call_id: &str,
    deadline: Option<Instant>,
    cancellation: &Cancellation,
) -> Result<Output, HeddleError> {
    let Prepared {
        def,
        component,
        config,
        resources,
    } = prepared;
    let input = match (def.takes_input, input) {
        (true, Some(table)) => table,
        (true, None) => {
            return Err(HeddleError::sdk(
                ErrorCode::InvalidInput,
                format!("{component} takes an input table but the call sent none"),
            )
            .with_component(component));
        }
        (false, _) => Table::none(),
    };
    let info = Arc::new(CallInfo {
        call_id: call_id.to_string(),
        component: component.clone(),
        deadline: deadline.map(Instant::into_std),
        cancellation: cancellation.clone(),
        resources,
        logger: state
            .logger
            .with("call_id", call_id)
            .with("component", component.clone()),
    });
    info.logger.debug("call started");
    (def.run)(config, input, StepContext::new(info))
        .await
        .map_err(|e| e.with_component(component))
}

/// Awaits `work` unless the call is cancelled or its deadline passes first;
/// a call cancelled while `work` finished still answers with the reason.
///
/// The deadline is kept by a watchdog task rather than a `select!` branch:
/// a blocking step runs inside `work`'s poll (`block_in_place`), and the
/// watchdog still marks it cancelled on time so the step can see it.
pub(crate) async fn guarded<T>(
    cancellation: &Cancellation,
    deadline: Option<Instant>,
    component: &str,
    work: impl std::future::Future<Output = Result<T, HeddleError>>,
) -> Result<T, HeddleError> {
    let _watchdog = deadline.map(|at| {
        let cancellation = cancellation.clone();
        AbortOnDrop(tokio::spawn(async move {
            tokio::time::sleep_until(at).await;
            cancellation.cancel(CancelReason::DeadlineExceeded);
        }))
    });
    let result = tokio::select! {
        result = work => result,
        _ = cancellation.cancelled() => Err(HeddleError::msg("cancelled")),
    };
    match cancellation.reason() {
        Some(reason) => Err(reason.to_error(component)),
        None => result,
    }
}

/// Aborts a task when dropped (the call ended before its deadline).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
