//! The plugin under test. The tests start this very test binary as the
//! plugin process (see `support::Plugin`): with `HEDDLE_FRAMES_TEST_PLUGIN`
//! set, the ignored test `plugin::plugin_process` serves this plugin with the
//! protocol environment and exits, so the process always runs the SDK code
//! being tested (no separately built binary that could be stale).

use std::sync::Arc;
use std::time::{Duration, Instant};

use heddle::arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use heddle::arrow_schema::{DataType, Field, Schema};
use heddle::sdk::options::ServeOptions;
use heddle::{HeddleError, NoConfig, Plugin, StepContext, StepOptions, Table};
use schemars::JsonSchema;
use serde::Deserialize;

/// Set in the plugin process's environment.
pub const PLUGIN_MODE: &str = "HEDDLE_FRAMES_TEST_PLUGIN";

/// libtest arguments that run only [`plugin_process`].
pub const PLUGIN_ARGS: &[&str] = &[
    "plugin::plugin_process",
    "--exact",
    "--ignored",
    "--nocapture",
    "--quiet",
    "--test-threads",
    "1",
];

#[test]
#[ignore = "the plugin process of the frame-lane tests, started by them with HEDDLE_FRAMES_TEST_PLUGIN set"]
fn plugin_process() {
    // Run by hand (`-- --ignored`) without the variable it is not a plugin.
    if std::env::var_os(PLUGIN_MODE).is_some() {
        std::process::exit(plugin().serve_with(ServeOptions::from_env()));
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AddColumn {
    name: String,
    value: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Strict {
    #[schemars(range(min = 1))]
    count: i64,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Sleep {
    ms: u64,
}

fn plugin() -> Plugin {
    let mut plugin = Plugin::new("frametest").version("1.0.0");
    plugin.step("echo", |_: NoConfig, input: Table, _: &StepContext| {
        Ok::<_, HeddleError>(input)
    });
    plugin.step_async(
        "echo_async",
        |_: NoConfig, input: Table, _: StepContext| async move { Ok::<_, HeddleError>(input) },
    );
    plugin.step("sink", |_: NoConfig, _: Table, _: &StepContext| {
        Ok::<_, HeddleError>(())
    });
    plugin.step("add_column", add_column);
    plugin.step(
        StepOptions::new("strict").source(),
        |config: Strict, _: Table, _: &StepContext| {
            Table::from_columns(vec![(
                "count",
                Arc::new(Int64Array::from(vec![config.count])) as ArrayRef,
            )])
        },
    );
    plugin.step(StepOptions::new("sleep").source(), sleep);
    plugin
}

fn add_column(config: AddColumn, input: Table, _: &StepContext) -> Result<Table, HeddleError> {
    input.map_batches(|batch| {
        let mut fields: Vec<Arc<Field>> = batch.schema().fields().iter().cloned().collect();
        fields.push(Arc::new(Field::new(&config.name, DataType::Utf8, false)));
        let mut columns = batch.columns().to_vec();
        columns.push(Arc::new(StringArray::from(vec![
            config.value.as_str();
            batch.num_rows()
        ])));
        Ok(RecordBatch::try_new(
            Arc::new(Schema::new(fields)),
            columns,
        )?)
    })
}

/// Sleeps `ms` unless cancelled first (checked every 10 ms, and `ctx.sleep`
/// wakes at once on cancel); answers how long it slept.
fn sleep(config: Sleep, _: Table, ctx: &StepContext) -> Result<Table, HeddleError> {
    let started = Instant::now();
    let total = Duration::from_millis(config.ms);
    while started.elapsed() < total && !ctx.cancelled() {
        ctx.sleep(
            total
                .saturating_sub(started.elapsed())
                .min(Duration::from_millis(10)),
        );
    }
    Table::from_columns(vec![(
        "slept_ms",
        Arc::new(Int64Array::from(vec![started.elapsed().as_millis() as i64])) as ArrayRef,
    )])
}
