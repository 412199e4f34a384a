"""The `conformance` plugin (test/conformance/README.md) written with the Python SDK.

Every SDK ships the same namespace so the language-neutral cases in
test/conformance/cases can check that they all behave alike. Steps that
take an input but do not need one (sleep, fail, ...) accept a missing input.
"""

import threading
from typing import Literal, Optional

import pyarrow as pa
import pyarrow.compute as pc

from heddle.core.command import CommandContext
from heddle.core.context import StepContext
from heddle.core.errors import HeddleError, InvalidInputError
from heddle.core.field import Field
from heddle.core.handler import ErrorsTable
from heddle.core.resource import Resource, ResourceConfig
from heddle.core.step import StepConfig
from heddle.core.table import Table
from heddle.sdk.plugin import Plugin

plugin = Plugin(namespace="conformance", version="1.0.0", description="Conformance plugin (Python SDK)")


# -- resources ---------------------------------------------------------------------------


class CounterConfig(ResourceConfig):
    start: int = 0


class Counter(Resource):
    """A running total; calls may run on several threads at once, hence the lock."""

    def __init__(self, start: int) -> None:
        self.total = start
        self._lock = threading.Lock()

    def add(self, amount: int) -> int:
        with self._lock:
            self.total += amount
            return self.total


@plugin.resource(name="counter")
def open_counter(config: CounterConfig) -> Counter:
    """Holds a running total starting at `start`."""
    return Counter(config.start)


class NoConfig(ResourceConfig):
    pass


@plugin.resource(name="failing")
def open_failing(config: NoConfig) -> Resource:
    """Its constructor always raises."""
    raise RuntimeError("resource init failed on purpose")


# -- steps -------------------------------------------------------------------------------


class Empty(StepConfig):
    pass


@plugin.step(name="echo")
def echo(config: Empty, input: Table) -> Table:
    """Returns the input table unchanged."""
    return input


class AddColumnConfig(StepConfig):
    name: str
    value: str


@plugin.step(name="add_column")
def add_column(config: AddColumnConfig, input: Table) -> Table:
    """Input plus a utf8 column `name` holding `value` on every row."""
    column = pa.array([config.value] * input.num_rows, type=pa.string())
    return Table.from_arrow(input.arrow.append_column(pa.field(config.name, pa.string()), column))


class ScaleConfig(StepConfig):
    column: str
    factor: float


@plugin.step(name="scale")
def scale(config: ScaleConfig, input: Table) -> Table:
    """Input with `column` replaced by float64 `column * factor`, in the same position."""
    arrow = input.arrow
    index = arrow.schema.get_field_index(config.column)
    if index < 0:
        raise InvalidInputError(f"the input has no column {config.column!r} (columns: {arrow.column_names})")
    scaled = pc.multiply(arrow.column(index).cast(pa.float64()), pa.scalar(config.factor, pa.float64()))
    return Table.from_arrow(arrow.set_column(index, pa.field(config.column, pa.float64()), scaled))


class CountConfig(StepConfig[CounterConfig]):
    pass


@plugin.step(name="count", resource="counter")
def count(config: CountConfig, input: Optional[Table] = None) -> Table:
    """Adds the number of input rows to the counter; outputs the new total."""
    total = config.resource.add(input.num_rows if input is not None else 0)
    return Table.from_pydict({"total": pa.array([total], pa.int64())})


class GenerateConfig(StepConfig):
    rows: int = Field(ge=0)


@plugin.step(name="generate")
def generate(config: GenerateConfig) -> Table:
    """Takes no input; outputs `id` 0..rows-1 and `label` "row-<id>"."""
    ids = pa.array(range(config.rows), pa.int64())
    labels = pa.array([f"row-{i}" for i in range(config.rows)], pa.string())
    return Table.from_pydict({"id": ids, "label": labels})


class FailConfig(StepConfig):
    message: str = "failed on purpose"


@plugin.step(name="fail")
def fail(config: FailConfig, input: Optional[Table] = None) -> Table:
    """Raises a plain exception (STEP_FAILED)."""
    raise Exception(config.message)


@plugin.step(name="fail_typed")
def fail_typed(config: Empty, input: Optional[Table] = None) -> Table:
    """Raises the SDK's typed error with code INVALID_INPUT."""
    raise HeddleError("INVALID_INPUT", "typed failure")


class SleepConfig(StepConfig):
    ms: int = Field(ge=0)


@plugin.step(name="sleep")
def sleep(config: SleepConfig, ctx: StepContext, input: Optional[Table] = None) -> Table:
    """Waits up to `ms`, waking as soon as the call is cancelled (ctx.wait checks continuously)."""
    slept = 0
    while slept < config.ms and not ctx.cancelled:
        step_ms = min(10, config.ms - slept)  # check cancellation at least every 10 ms
        if ctx.wait(step_ms / 1000.0):
            break
        slept += step_ms
    return Table.from_pydict({"slept_ms": pa.array([slept], pa.int64())})


@plugin.step(name="bad_output")
def bad_output(config: Empty, input: Optional[Table] = None) -> Table:
    """Returns something that is not a table (INVALID_OUTPUT)."""
    return "this is not a table"  # type: ignore[return-value]


class LogConfig(StepConfig):
    message: str


@plugin.step(name="log")
def log(config: LogConfig, input: Optional[Table] = None) -> Optional[Table]:
    """Logs `message` at info with field step="log"; returns the input."""
    plugin.logger.info(config.message, step="log")
    return input


class StrictConfig(StepConfig):
    name: str
    count: int = Field(ge=1)
    mode: Literal["a", "b"] = "a"


@plugin.step(name="strict")
def strict(config: StrictConfig) -> Table:
    """Takes no input; outputs one row {name, count, mode}."""
    return Table.from_pydict(
        {
            "name": pa.array([config.name], pa.string()),
            "count": pa.array([config.count], pa.int64()),
            "mode": pa.array([config.mode], pa.string()),
        }
    )


# -- handlers and commands ---------------------------------------------------------------


@plugin.handler(name="record_errors")
def record_errors(config: Empty, input: ErrorsTable) -> Table:
    """Returns its input (the errors table) unchanged."""
    return input


class PingContext(StepConfig):
    message: str = "pong"


@plugin.command(name="ping", mode="sync")
def ping(ctx: CommandContext, context: PingContext) -> Table:
    """Writes `ping` to stdout and `ping-err` to stderr; the result is one row {message}."""
    ctx.stdout("ping")
    ctx.stderr("ping-err")
    return Table.from_pydict({"message": pa.array([context.message], pa.string())})


if __name__ == "__main__":
    plugin.serve()
