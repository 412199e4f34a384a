"""Error handlers: steps that receive a table of errors and react to it (alert, store, retry).

    @plugin.handler(name="record_errors")
    def record_errors(input: ErrorsTable) -> Table:
        return input

They are called with `Invoke` like steps; their input has the string columns
of `ERRORS_SCHEMA`.
"""

from __future__ import annotations

import pyarrow as pa

from .table import Table

ERRORS_SCHEMA = pa.schema(
    [
        pa.field("code", pa.string()),
        pa.field("message", pa.string()),
        pa.field("component", pa.string()),
        pa.field("stack", pa.string()),
    ]
)
"""The columns of a handler's input table."""


class ErrorsTable(Table):
    """A handler's input: one row per error, columns `code`, `message`, `component`, `stack`."""
