//! The steps that fail or wait on purpose: fail, fail_typed, sleep, bad_output.

use std::time::{Duration, Instant};

use heddle::bytes::Bytes;
use heddle::{ErrorCode, HeddleError, NoConfig, Output, Plugin, StepContext, StepOptions, Table};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::tables::int64;

fn failed_on_purpose() -> String {
    "failed on purpose".into()
}

#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct FailConfig {
    #[serde(default = "failed_on_purpose")]
    message: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SleepConfig {
    ms: u64,
}

/// How often `sleep` looks at the cancellation (the README asks ≤ 10 ms;
/// `ctx.sleep` also wakes at once when cancelled).
const CHECK_EVERY: Duration = Duration::from_millis(10);

/// Registers the steps; none of them takes an input table.
pub fn register(plugin: &mut Plugin) {
    plugin.step(
        StepOptions::new("fail").source(),
        |config: FailConfig, _: Table, _: &StepContext| -> Result<Table, HeddleError> {
            // A plain error, as an exception in step code: STEP_FAILED with a stack.
            Err(HeddleError::msg(config.message))
        },
    );
    plugin.step(
        StepOptions::new("fail_typed").source(),
        |_: NoConfig, _: Table, _: &StepContext| -> Result<Table, HeddleError> {
            Err(HeddleError::new(ErrorCode::InvalidInput, "typed failure"))
        },
    );
    plugin.step(StepOptions::new("sleep").source(), sleep);
    plugin.step(
        StepOptions::new("bad_output").source(),
        |_: NoConfig, _: Table, _: &StepContext| {
            Ok::<_, HeddleError>(Output::Ipc(Bytes::from_static(
                b"this is not an Arrow IPC stream",
            )))
        },
    );
}

fn sleep(config: SleepConfig, _: Table, ctx: &StepContext) -> Result<Table, HeddleError> {
    let started = Instant::now();
    let total = Duration::from_millis(config.ms);
    while started.elapsed() < total && !ctx.cancelled() {
        let left = total.saturating_sub(started.elapsed());
        ctx.sleep(left.min(CHECK_EVERY));
    }
    Table::from_columns(vec![(
        "slept_ms",
        int64([started.elapsed().as_millis() as i64]),
    )])
}
