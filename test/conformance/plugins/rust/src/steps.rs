//! The table steps: echo, add_column, scale, count, generate, log, strict,
//! and the handler record_errors. The failure and timing steps are in
//! `failures.rs`.

use std::sync::Arc;

use heddle::arrow_array::cast::AsArray;
use heddle::arrow_array::types::*;
use heddle::arrow_array::{Array, ArrayRef, Float64Array, RecordBatch};
use heddle::arrow_schema::{DataType, Field, Schema};
use heddle::{HeddleError, NoConfig, Plugin, StepContext, StepOptions, Table};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::failures;
use crate::resources::Counter;
use crate::tables::{int64, utf8};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AddColumnConfig {
    name: String,
    value: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ScaleConfig {
    column: String,
    factor: f64,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GenerateConfig {
    rows: u64,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct LogConfig {
    message: String,
}

#[derive(Clone, Copy, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Mode {
    #[default]
    A,
    B,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct StrictConfig {
    name: String,
    #[schemars(range(min = 1))]
    count: i64,
    #[serde(default)]
    mode: Mode,
}

/// Registers every step and the handler.
pub fn register(plugin: &mut Plugin) {
    plugin.step("echo", |_: NoConfig, input: Table, _: &StepContext| {
        Ok::<_, HeddleError>(input)
    });
    plugin.step("add_column", add_column);
    plugin.step("scale", scale);
    plugin.step(
        StepOptions::new("count").resource("counter", "counter"),
        count,
    );
    plugin.step(StepOptions::new("generate").source(), generate);
    plugin.step("log", log);
    plugin.step(StepOptions::new("strict").source(), strict);
    failures::register(plugin);
    plugin.handler(
        "record_errors",
        |_: NoConfig, errors: Table, _: &StepContext| Ok::<_, HeddleError>(errors),
    );
}

fn add_column(
    config: AddColumnConfig,
    input: Table,
    _: &StepContext,
) -> Result<Table, HeddleError> {
    input.map_batches(|batch| {
        let mut fields: Vec<Arc<Field>> = batch.schema().fields().iter().cloned().collect();
        fields.push(Arc::new(Field::new(&config.name, DataType::Utf8, false)));
        let mut columns = batch.columns().to_vec();
        columns.push(utf8(std::iter::repeat_n(
            config.value.as_str(),
            batch.num_rows(),
        )));
        Ok(RecordBatch::try_new(
            Arc::new(Schema::new(fields)),
            columns,
        )?)
    })
}

fn scale(config: ScaleConfig, input: Table, _: &StepContext) -> Result<Table, HeddleError> {
    let index = input.schema().index_of(&config.column).map_err(|_| {
        HeddleError::invalid_input(format!(
            "the input has no column {:?}; its columns are {}",
            config.column,
            input.column_names().join(", ")
        ))
    })?;
    input.map_batches(|batch| {
        let scaled = times(batch.column(index), config.factor, &config.column)?;
        let mut fields: Vec<Arc<Field>> = batch.schema().fields().iter().cloned().collect();
        fields[index] = Arc::new(Field::new(&config.column, DataType::Float64, true));
        let mut columns = batch.columns().to_vec();
        columns[index] = scaled;
        Ok(RecordBatch::try_new(
            Arc::new(Schema::new(fields)),
            columns,
        )?)
    })
}

/// `column * factor` as float64, nulls kept. Fails with INVALID_INPUT for a
/// column that is not numeric.
fn times(column: &ArrayRef, factor: f64, name: &str) -> Result<ArrayRef, HeddleError> {
    macro_rules! scaled {
        ($t:ty) => {
            column
                .as_primitive::<$t>()
                .iter()
                .map(|v| v.map(|v| v as f64 * factor))
                .collect::<Float64Array>()
        };
    }
    let out = match column.data_type() {
        DataType::Int8 => scaled!(Int8Type),
        DataType::Int16 => scaled!(Int16Type),
        DataType::Int32 => scaled!(Int32Type),
        DataType::Int64 => scaled!(Int64Type),
        DataType::UInt8 => scaled!(UInt8Type),
        DataType::UInt16 => scaled!(UInt16Type),
        DataType::UInt32 => scaled!(UInt32Type),
        DataType::UInt64 => scaled!(UInt64Type),
        DataType::Float32 => scaled!(Float32Type),
        DataType::Float64 => scaled!(Float64Type),
        other => {
            return Err(HeddleError::invalid_input(format!(
                "column {name:?} is {other}, not a number: scale needs a numeric column"
            )))
        }
    };
    Ok(Arc::new(out))
}

fn count(_: NoConfig, input: Table, ctx: &StepContext) -> Result<Table, HeddleError> {
    let counter = ctx.resource::<Counter>("counter")?;
    let total = counter.add(input.num_rows() as i64);
    Table::from_columns(vec![("total", int64([total]))])
}

fn generate(config: GenerateConfig, _: Table, ctx: &StepContext) -> Result<Table, HeddleError> {
    ctx.check_cancelled()?;
    let rows = i64::try_from(config.rows)
        .map_err(|_| HeddleError::invalid_config("/rows", "config field /rows is too large"))?;
    Table::from_columns(vec![
        ("id", int64(0..rows)),
        ("label", utf8((0..rows).map(|i| format!("row-{i}")))),
    ])
}

fn log(config: LogConfig, input: Table, ctx: &StepContext) -> Result<Table, HeddleError> {
    ctx.logger().with("step", "log").info(&config.message);
    Ok(input)
}

fn strict(config: StrictConfig, _: Table, _: &StepContext) -> Result<Table, HeddleError> {
    let mode = match config.mode {
        Mode::A => "a",
        Mode::B => "b",
    };
    Table::from_columns(vec![
        ("name", utf8([config.name])),
        ("count", int64([config.count])),
        ("mode", utf8([mode])),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use heddle::arrow_array::Int32Array;

    #[test]
    fn scale_turns_any_number_into_float64_and_keeps_nulls() {
        let column: ArrayRef = Arc::new(Int32Array::from(vec![Some(2), None, Some(-4)]));
        let out = times(&column, 2.5, "v").unwrap();
        let out = out.as_primitive::<Float64Type>();
        assert_eq!(out.value(0), 5.0);
        assert!(out.is_null(1));
        assert_eq!(out.value(2), -10.0);
        assert!(times(&utf8(["x"]), 1.0, "v").is_err());
    }
}
