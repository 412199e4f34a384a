"""Unit: Table wraps pyarrow without copying, and subclasses get their own class back."""

import pandas as pd
import pyarrow as pa
import pytest

from heddle.core import ipc
from heddle.core.table import Table


class CredentialsTable(Table):
    pass


def test_from_arrow_wraps_the_same_object():
    arrow = pa.table({"a": [1, 2]})
    table = Table.from_arrow(arrow)
    assert table.arrow is arrow
    assert Table.from_arrow(table).arrow is arrow
    assert (table.num_rows, table.schema, len(table), table.column_names) == (2, arrow.schema, 2, ["a"])


def test_decoded_input_points_into_the_message_bytes():
    message = ipc.encode_stream(pa.table({"x": pa.array(range(1000), pa.int64())})).to_pybytes()
    table = Table.from_arrow(ipc.decode_stream(message))
    data = table.arrow.column("x").chunk(0).buffers()[1]
    start = pa.py_buffer(message).address
    assert start <= data.address < start + len(message)  # the column lives inside the received bytes


def test_classmethods_return_the_subclass():
    assert type(CredentialsTable.from_arrow(pa.table({"a": [1]}))) is CredentialsTable
    assert type(CredentialsTable.from_pylist([{"a": 1}])) is CredentialsTable
    assert type(CredentialsTable.from_pydict({"a": [1]})) is CredentialsTable
    assert type(CredentialsTable.from_pandas(pd.DataFrame({"a": [1]}))) is CredentialsTable
    assert type(CredentialsTable.empty()) is CredentialsTable


def test_pandas_round_trip_drops_the_index_and_keeps_utf8():
    df = pd.DataFrame({"id": [1, 2], "password": ["x", "y"]}, index=[10, 20])
    table = Table.from_pandas(df)
    assert table.schema.names == ["id", "password"]
    assert table.schema.field("password").type == pa.string()
    assert table.to_pandas()["password"].tolist() == ["x", "y"]


def test_rows_and_equality():
    rows = [{"id": 1, "name": "a"}, {"id": 2, "name": None}]
    table = Table.from_pylist(rows)
    assert table.to_pylist() == rows and table.to_pydict() == {"id": [1, 2], "name": ["a", None]}
    assert table == Table.from_pylist(rows) and table == table.arrow
    assert table.column("id").to_pylist() == [1, 2]
    with pytest.raises(KeyError, match="columns are"):
        table.column("nope")
    assert "2 rows" in repr(table)


def test_rejects_non_tables():
    with pytest.raises(TypeError):
        Table({"a": [1]})
    assert Table(pa.record_batch({"a": [1]})).num_rows == 1
