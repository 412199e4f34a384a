"""Table: the value steps take and return, a thin wrapper over `pyarrow.Table`.

Wrapping never copies: `Table.from_arrow(t).arrow is t`. Subclass it to name
what a step expects (`class CredentialsTable(Table)`): the SDK hands a step its
input as the class its parameter is annotated with, and every classmethod
returns an instance of the class it was called on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Type, TypeVar, Union

import pyarrow as pa

if TYPE_CHECKING:  # pandas is imported lazily: a plugin that never uses it starts faster
    import pandas

TableT = TypeVar("TableT", bound="Table")

_MAX_STRING_BYTES = (1 << 31) - 1  # what a 32-bit-offset utf8 column can hold


class Table:
    """An immutable Arrow table (zero-copy wrapper of a `pyarrow.Table`)."""

    __slots__ = ("_arrow",)

    def __init__(self, arrow: Union[pa.Table, pa.RecordBatch]) -> None:
        """Wraps `arrow` without copying; a RecordBatch becomes a one-batch table.

        Raises TypeError for anything that is not a pyarrow Table or RecordBatch.
        """
        if isinstance(arrow, pa.RecordBatch):
            arrow = pa.Table.from_batches([arrow])
        elif not isinstance(arrow, pa.Table):
            raise TypeError(f"Table wraps a pyarrow.Table, got {type(arrow).__name__}")
        self._arrow = arrow

    # -- constructors -------------------------------------------------------------------

    @classmethod
    def from_arrow(cls: Type[TableT], arrow: Union[pa.Table, pa.RecordBatch, "Table"]) -> TableT:
        """Wraps a pyarrow Table/RecordBatch (or re-wraps another Table) as `cls`, without copying."""
        if isinstance(arrow, Table):
            arrow = arrow.arrow
        return cls(arrow)

    @classmethod
    def from_pandas(
        cls: Type[TableT],
        df: "pandas.DataFrame",
        schema: Optional[pa.Schema] = None,
        preserve_index: bool = False,
    ) -> TableT:
        """Converts a pandas DataFrame (the index is dropped unless `preserve_index`).

        pandas ≥ 3 stores text as Arrow `large_string`; such columns are cast
        to plain `utf8` (when under 2 GiB) so a step's output schema does not
        depend on the pandas version. Pass `schema` to choose the types yourself.
        Raises pyarrow.ArrowInvalid/ArrowTypeError when a column cannot be converted.
        """
        arrow = pa.Table.from_pandas(df, schema=schema, preserve_index=preserve_index)
        if schema is None:
            arrow = _narrow_large_strings(arrow)
        return cls(arrow)

    @classmethod
    def from_pylist(
        cls: Type[TableT], rows: Iterable[Mapping[str, Any]], schema: Optional[pa.Schema] = None
    ) -> TableT:
        """Builds a table from a list of row dicts (types inferred unless `schema` is given)."""
        rows = rows if isinstance(rows, list) else list(rows)
        return cls(pa.Table.from_pylist(rows, schema=schema))

    @classmethod
    def from_pydict(cls: Type[TableT], columns: Mapping[str, Any], schema: Optional[pa.Schema] = None) -> TableT:
        """Builds a table from a dict of column name → list (or pyarrow array)."""
        return cls(pa.Table.from_pydict(dict(columns), schema=schema))

    @classmethod
    def empty(cls: Type[TableT], schema: Optional[pa.Schema] = None) -> TableT:
        """An empty table with `schema` (no columns when omitted)."""
        return cls((schema or pa.schema([])).empty_table())

    # -- accessors ------------------------------------------------------------------------

    @property
    def arrow(self) -> pa.Table:
        """The wrapped `pyarrow.Table` itself (not a copy)."""
        return self._arrow

    @property
    def num_rows(self) -> int:
        """Number of rows."""
        return self._arrow.num_rows

    @property
    def schema(self) -> pa.Schema:
        """The Arrow schema."""
        return self._arrow.schema

    @property
    def column_names(self) -> List[str]:
        """Column names in order."""
        return self._arrow.column_names

    def column(self, name: str) -> pa.ChunkedArray:
        """One column by name. Raises KeyError when there is no such column."""
        if name not in self._arrow.column_names:
            raise KeyError(f"no column {name!r}; columns are {self._arrow.column_names}")
        return self._arrow.column(name)

    def to_pandas(self, **options: Any) -> "pandas.DataFrame":
        """Converts to a pandas DataFrame (`options` go to `pyarrow.Table.to_pandas`)."""
        return self._arrow.to_pandas(**options)

    def to_pylist(self) -> List[Dict[str, Any]]:
        """The rows as a list of dicts."""
        return self._arrow.to_pylist()

    def to_pydict(self) -> Dict[str, List[Any]]:
        """The columns as a dict of name → list."""
        return self._arrow.to_pydict()

    def equals(self, other: Union["Table", pa.Table]) -> bool:
        """Whether both tables hold the same schema and values (chunking ignored)."""
        other_arrow = other.arrow if isinstance(other, Table) else other
        return self._arrow.equals(other_arrow)

    def __len__(self) -> int:
        return self._arrow.num_rows

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Table, pa.Table)):
            return self.equals(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking value type: not hashable

    def __repr__(self) -> str:
        columns = ", ".join(f"{f.name}: {f.type}" for f in self._arrow.schema)
        return f"{type(self).__name__}({self._arrow.num_rows} rows; {columns})"


def _narrow_large_strings(arrow: pa.Table) -> pa.Table:
    """Casts large_string columns to string when they fit; other columns are left untouched."""
    fields = arrow.schema
    if not any(pa.types.is_large_string(f.type) for f in fields):
        return arrow
    columns = []
    for field, column in zip(fields, arrow.columns):
        if pa.types.is_large_string(field.type) and column.nbytes < _MAX_STRING_BYTES:
            column = column.cast(pa.string())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=arrow.column_names)
