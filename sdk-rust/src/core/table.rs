//! [`Table`]: the Arrow table that steps take and return. It holds
//! `RecordBatch`es that share buffers with the IPC bytes they were decoded
//! from: building, slicing and passing a `Table` never copies column data.

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{Schema, SchemaRef};
use bytes::Bytes;

use crate::core::errors::HeddleError;
use crate::core::ipc;

/// An Arrow table: one schema and any number of record batches of it.
/// Cloning is cheap (reference-counted buffers).
#[derive(Clone, Debug)]
pub struct Table {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl Table {
    /// A table of `batches`, which must all have `schema`.
    /// Fails with `INVALID_OUTPUT` naming the first batch whose schema differs.
    pub fn new(schema: SchemaRef, batches: Vec<RecordBatch>) -> Result<Self, HeddleError> {
        for (index, batch) in batches.iter().enumerate() {
            if batch.schema().fields() != schema.fields() {
                return Err(HeddleError::invalid_output(format!(
                    "record batch {index} has schema {} but the table's schema is {}; every batch of a table must have the same columns and types",
                    batch.schema(),
                    schema
                )));
            }
        }
        Ok(Table { schema, batches })
    }

    /// A table of one batch (its schema is the table's).
    pub fn from_batch(batch: RecordBatch) -> Self {
        Table {
            schema: batch.schema(),
            batches: vec![batch],
        }
    }

    /// A table from named columns of equal length. Fails with
    /// `INVALID_OUTPUT` when the lengths differ or there are no columns.
    pub fn from_columns<N: Into<String>>(columns: Vec<(N, ArrayRef)>) -> Result<Self, HeddleError> {
        let named: Vec<(String, ArrayRef)> =
            columns.into_iter().map(|(n, a)| (n.into(), a)).collect();
        let batch = RecordBatch::try_from_iter(named).map_err(|e| {
            HeddleError::invalid_output(format!("cannot build a table from these columns: {e}"))
        })?;
        Ok(Table::from_batch(batch))
    }

    /// A table with `schema` and no rows.
    pub fn empty(schema: SchemaRef) -> Self {
        Table {
            schema,
            batches: Vec::new(),
        }
    }

    /// The table with no columns and no rows (what a step without input gets).
    pub fn none() -> Self {
        Table::empty(Arc::new(Schema::empty()))
    }

    /// Decodes an Arrow IPC *stream* without copying its buffers.
    /// Fails with `INVALID_INPUT` when the bytes are not a valid IPC stream.
    pub fn from_ipc(bytes: Bytes) -> Result<Self, HeddleError> {
        ipc::decode_stream(bytes)
    }

    /// Encodes the table as one Arrow IPC stream. Fails with `INVALID_OUTPUT`
    /// if Arrow cannot encode a column.
    pub fn to_ipc(&self) -> Result<Bytes, HeddleError> {
        ipc::encode_stream(self)
    }

    /// The schema.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The record batches, in order.
    pub fn batches(&self) -> &[RecordBatch] {
        &self.batches
    }

    /// Takes the batches out.
    pub fn into_batches(self) -> Vec<RecordBatch> {
        self.batches
    }

    /// Total rows over all batches.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// Number of columns.
    pub fn num_columns(&self) -> usize {
        self.schema.fields().len()
    }

    /// Column names, in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect()
    }

    /// The whole table as one batch. Copies only when there are several
    /// batches (a single batch is returned as is).
    /// Fails with `INVALID_OUTPUT` if Arrow cannot concatenate them.
    pub fn to_batch(&self) -> Result<RecordBatch, HeddleError> {
        match self.batches.as_slice() {
            [] => Ok(RecordBatch::new_empty(self.schema.clone())),
            [one] => Ok(one.clone()),
            many => arrow_select::concat::concat_batches(&self.schema, many).map_err(|e| {
                HeddleError::invalid_output(format!("cannot concatenate the table's batches: {e}"))
            }),
        }
    }

    /// One column over the whole table (concatenated if there are several
    /// batches), or `None` if there is no column of that name.
    pub fn column(&self, name: &str) -> Option<ArrayRef> {
        let index = self.schema.index_of(name).ok()?;
        match self.batches.as_slice() {
            [] => Some(arrow_array::new_empty_array(
                self.schema.field(index).data_type(),
            )),
            [one] => Some(one.column(index).clone()),
            many => {
                let parts: Vec<&dyn Array> =
                    many.iter().map(|b| b.column(index).as_ref()).collect();
                arrow_select::concat::concat(&parts).ok()
            }
        }
    }

    /// A new table made by applying `f` to every batch (e.g. to add or
    /// replace a column). With no batches, `f` runs once on an empty batch so
    /// the output schema is still known. Fails with the first error of `f`,
    /// or `INVALID_OUTPUT` if `f` returns batches of different schemas.
    pub fn map_batches<F>(&self, mut f: F) -> Result<Table, HeddleError>
    where
        F: FnMut(&RecordBatch) -> Result<RecordBatch, HeddleError>,
    {
        if self.batches.is_empty() {
            let out = f(&RecordBatch::new_empty(self.schema.clone()))?;
            return Ok(Table::empty(out.schema()));
        }
        let batches = self
            .batches
            .iter()
            .map(&mut f)
            .collect::<Result<Vec<_>, _>>()?;
        Table::new(batches[0].schema(), batches)
    }
}

impl From<RecordBatch> for Table {
    fn from(batch: RecordBatch) -> Self {
        Table::from_batch(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int64Array, StringArray};

    fn ids(values: &[i64]) -> RecordBatch {
        RecordBatch::try_from_iter([(
            "id",
            Arc::new(Int64Array::from(values.to_vec())) as ArrayRef,
        )])
        .unwrap()
    }

    #[test]
    fn counts_rows_over_batches_and_concatenates_columns() {
        let table = Table::new(ids(&[1]).schema(), vec![ids(&[1, 2]), ids(&[3])]).unwrap();
        assert_eq!(table.num_rows(), 3);
        assert_eq!(table.column_names(), vec!["id"]);
        let column = table.column("id").unwrap();
        assert_eq!(column.len(), 3);
        assert_eq!(table.to_batch().unwrap().num_rows(), 3);
        assert!(table.column("nope").is_none());
    }

    #[test]
    fn rejects_batches_of_another_schema() {
        let other = RecordBatch::try_from_iter([(
            "name",
            Arc::new(StringArray::from(vec!["a"])) as ArrayRef,
        )])
        .unwrap();
        let err = Table::new(ids(&[1]).schema(), vec![ids(&[1]), other]).unwrap_err();
        assert!(
            err.message().contains("record batch 1"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn map_batches_keeps_the_schema_of_empty_tables() {
        let table = Table::empty(ids(&[]).schema());
        let mapped = table
            .map_batches(|b| {
                let names = Arc::new(StringArray::from(vec!["x"; b.num_rows()])) as ArrayRef;
                Ok(
                    RecordBatch::try_from_iter([("id", b.column(0).clone()), ("name", names)])
                        .unwrap(),
                )
            })
            .unwrap();
        assert_eq!(mapped.column_names(), vec!["id", "name"]);
        assert_eq!(mapped.num_rows(), 0);
    }

    #[test]
    fn from_columns_checks_lengths() {
        let a = Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef;
        let b = Arc::new(Int64Array::from(vec![1])) as ArrayRef;
        assert!(Table::from_columns(vec![("a", a.clone()), ("b", b)]).is_err());
        assert_eq!(Table::from_columns(vec![("a", a)]).unwrap().num_rows(), 2);
    }
}
