//! Segment pass-through (protocol §8.2 "Pass-through"): when a call's
//! output is its input table unchanged and that input came by handle, the
//! answer is the input's own `SharedMemoryRef`, so the host hands the same
//! segment on and no byte is copied or written.
//!
//! Steps take and return `Table`s by value, so "unchanged" is decided by
//! identity rather than by comparing data: the output must hold the very
//! column arrays of the input (the same `Arc`s, hence the same mapped
//! buffers), batch for batch, under an equal schema. Anything rebuilt,
//! sliced, reordered or renamed gets a new segment as before.

use std::sync::Arc;

use crate::core::step::Output;
use crate::core::table::Table;
use crate::proto::{data_ref, InvokeHeader, SharedMemoryRef};

/// The segment the host lent to a call as its input, and the table read
/// from it, kept to recognise it in the output.
pub(crate) struct Lent {
    segment: SharedMemoryRef,
    table: Table,
}

impl Lent {
    /// The lent input of a call that may be answered with it: the host asked
    /// for outputs by handle (`shm_output_threshold` > 0), this plugin can
    /// answer by handle (`by_handle`: it has a shared-memory directory, as
    /// for any output by handle), the input came as `shm`, and the segment
    /// is at least the threshold (a smaller one answers by value, as today).
    /// `None` otherwise, which costs nothing on the small-call path; when
    /// `Some`, the table is a clone (reference counts, no data).
    pub(crate) fn new(
        header: &InvokeHeader,
        by_handle: bool,
        input: Option<&Table>,
    ) -> Option<Lent> {
        let threshold = header.shm_output_threshold;
        if threshold == 0 || !by_handle {
            return None;
        }
        match (header.input.as_ref()?.kind.as_ref()?, input) {
            (data_ref::Kind::Shm(segment), Some(table)) if segment.length >= threshold => {
                Some(Lent {
                    segment: segment.clone(),
                    table: table.clone(),
                })
            }
            _ => None,
        }
    }

    /// The handle to answer with when `output` is the lent table unchanged:
    /// the input's own segment id, path, offset and length, with the
    /// output's row count. `None` when the output is anything else.
    pub(crate) fn answer(&self, output: &Output) -> Option<SharedMemoryRef> {
        match output {
            Output::Table(table) if unchanged(table, &self.table) => Some(SharedMemoryRef {
                num_rows: table.num_rows() as u64,
                ..self.segment.clone()
            }),
            _ => None,
        }
    }
}

/// Whether `output` is `input` itself: an equal schema (what the segment's
/// IPC file was written with, metadata included), the same number of
/// batches, and in each batch the same rows and the same column arrays by
/// pointer. Cheap (no data is read) and conservative: equal data in new
/// arrays counts as changed.
fn unchanged(output: &Table, input: &Table) -> bool {
    let same_schema =
        Arc::ptr_eq(output.schema(), input.schema()) || output.schema() == input.schema();
    let (out, inp) = (output.batches(), input.batches());
    same_schema
        && out.len() == inp.len()
        && out.iter().zip(inp).all(|(o, i)| {
            o.num_rows() == i.num_rows()
                && o.num_columns() == i.num_columns()
                && o.columns()
                    .iter()
                    .zip(i.columns())
                    .all(|(a, b)| Arc::ptr_eq(a, b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{DataRef, StreamedTable};
    use arrow_array::{ArrayRef, Int64Array, RecordBatch};
    use arrow_schema::{Field, Schema};

    fn ids(rows: i64) -> Table {
        Table::from_columns(vec![(
            "id",
            Arc::new(Int64Array::from_iter_values(0..rows)) as ArrayRef,
        )])
        .unwrap()
    }

    fn segment(length: u64) -> SharedMemoryRef {
        SharedMemoryRef {
            segment_id: "host-7".into(),
            path: "/dev/shm/x/host-7.arrow".into(),
            offset: 64,
            length,
            num_rows: 0,
        }
    }

    fn header(kind: data_ref::Kind, threshold: u64) -> InvokeHeader {
        InvokeHeader {
            input: Some(DataRef { kind: Some(kind) }),
            shm_output_threshold: threshold,
            ..Default::default()
        }
    }

    #[test]
    fn answers_the_input_segment_for_the_input_table() {
        let input = ids(10);
        let lent = Lent::new(
            &header(data_ref::Kind::Shm(segment(4096)), 1024),
            true,
            Some(&input),
        )
        .unwrap();
        let answer = lent.answer(&Output::Table(input.clone())).unwrap();
        assert_eq!(
            answer,
            SharedMemoryRef {
                num_rows: 10,
                ..segment(4096)
            }
        );
        // The same columns under a rebuilt but equal schema are still the input.
        let rebuilt = Table::new(
            Arc::new(Schema::new(vec![Field::new(
                "id",
                arrow_schema::DataType::Int64,
                false,
            )])),
            input.batches().to_vec(),
        )
        .unwrap();
        assert!(lent.answer(&Output::Table(rebuilt)).is_some());
    }

    #[test]
    fn changed_tables_and_other_outputs_are_not_the_input() {
        let input = ids(10);
        let lent = Lent::new(
            &header(data_ref::Kind::Shm(segment(4096)), 1),
            true,
            Some(&input),
        )
        .unwrap();
        let batch = &input.batches()[0];
        let sliced = Table::from_batch(batch.slice(0, 5));
        let equal_copy = ids(10);
        let renamed = Table::from_batch(
            RecordBatch::try_new(
                Arc::new(Schema::new(vec![Field::new(
                    "n",
                    arrow_schema::DataType::Int64,
                    false,
                )])),
                batch.columns().to_vec(),
            )
            .unwrap(),
        );
        let doubled =
            Table::new(input.schema().clone(), vec![batch.clone(), batch.clone()]).unwrap();
        for (what, table) in [
            ("sliced", sliced),
            ("equal copy", equal_copy),
            ("renamed", renamed),
            ("doubled", doubled),
        ] {
            assert!(lent.answer(&Output::Table(table)).is_none(), "{what}");
        }
        assert!(lent.answer(&Output::Nothing).is_none());
        assert!(lent.answer(&Output::Ipc(input.to_ipc().unwrap())).is_none());
    }

    #[test]
    fn only_lends_segments_the_host_may_get_back_by_handle() {
        let input = ids(3);
        let shm = |length, threshold| header(data_ref::Kind::Shm(segment(length)), threshold);
        assert!(Lent::new(&shm(4096, 4096), true, Some(&input)).is_some());
        assert!(
            Lent::new(&shm(4096, 0), true, Some(&input)).is_none(),
            "no outputs by handle asked"
        );
        assert!(
            Lent::new(&shm(4096, 4097), true, Some(&input)).is_none(),
            "under the threshold"
        );
        assert!(
            Lent::new(&shm(4096, 1), false, Some(&input)).is_none(),
            "no shared-memory directory"
        );
        assert!(Lent::new(&shm(4096, 1), true, None).is_none());
        let streamed = header(data_ref::Kind::Streamed(StreamedTable::default()), 1);
        assert!(
            Lent::new(&streamed, true, Some(&input)).is_none(),
            "input by value"
        );
        assert!(Lent::new(&InvokeHeader::default(), true, Some(&input)).is_none());
    }
}
