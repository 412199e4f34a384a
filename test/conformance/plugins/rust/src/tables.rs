//! Small helpers to build the one-row and generated tables the steps return.

use std::sync::Arc;

use heddle::arrow_array::{ArrayRef, Int64Array, StringArray};

/// An int64 column.
pub fn int64(values: impl IntoIterator<Item = i64>) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(values))
}

/// A utf8 column.
pub fn utf8<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}
