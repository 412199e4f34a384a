//! Error handlers: steps that receive a table of errors (protocol §3) with
//! the utf8 columns `code`, `message`, `component` and `stack`. Register one
//! with `Plugin::handler`; this module describes the table they get.

use std::sync::Arc;

use arrow_array::{Array, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::core::errors::HeddleError;
use crate::core::table::Table;

/// The columns of the errors table, in order.
pub const ERROR_COLUMNS: [&str; 4] = ["code", "message", "component", "stack"];

/// The Arrow schema of the errors table a handler receives.
pub fn errors_schema() -> SchemaRef {
    Arc::new(Schema::new(
        ERROR_COLUMNS
            .iter()
            .map(|n| Field::new(*n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ))
}

/// One row of the errors table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorRow {
    /// The error code name, e.g. `STEP_FAILED`.
    pub code: String,
    /// The error message.
    pub message: String,
    /// `namespace.step` that failed.
    pub component: String,
    /// The failing code's stack trace, if it had one.
    pub stack: String,
}

/// Reads an errors table into rows (nulls read as empty strings).
/// Fails with `INVALID_INPUT` naming the column that is missing or not utf8.
pub fn error_rows(table: &Table) -> Result<Vec<ErrorRow>, HeddleError> {
    let mut columns = Vec::with_capacity(ERROR_COLUMNS.len());
    for name in ERROR_COLUMNS {
        let column = table.column(name).ok_or_else(|| {
            HeddleError::invalid_input(format!("the errors table has no column {name:?}"))
        })?;
        let strings = column
            .as_any()
            .downcast_ref::<StringArray>()
            .cloned()
            .ok_or_else(|| {
                HeddleError::invalid_input(format!(
                    "the errors table's column {name:?} is not utf8"
                ))
            })?;
        columns.push(strings);
    }
    let text = |column: &StringArray, row: usize| {
        if column.is_null(row) {
            String::new()
        } else {
            column.value(row).to_string()
        }
    };
    Ok((0..table.num_rows())
        .map(|row| ErrorRow {
            code: text(&columns[0], row),
            message: text(&columns[1], row),
            component: text(&columns[2], row),
            stack: text(&columns[3], row),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, RecordBatch};

    #[test]
    fn reads_rows_of_an_errors_table() {
        let column = |v: Option<&str>| Arc::new(StringArray::from(vec![v])) as ArrayRef;
        let batch = RecordBatch::try_new(
            errors_schema(),
            vec![
                column(Some("STEP_FAILED")),
                column(Some("m")),
                column(Some("x.y")),
                column(None),
            ],
        )
        .unwrap();
        let rows = error_rows(&Table::from_batch(batch)).unwrap();
        assert_eq!(
            rows,
            vec![ErrorRow {
                code: "STEP_FAILED".into(),
                message: "m".into(),
                component: "x.y".into(),
                stack: String::new()
            }]
        );
        assert!(error_rows(&Table::none()).is_err());
    }
}
