"""A test plugin for SDK features the conformance namespace does not reach.

Resource classes with close(), dataclass and Enum configs, current(), the
standard logging bridge, check_cancelled(), optional bindings, a command
that waits for cancellation, print() to a command's stdout, identity of
tables handed between fused stages.
"""

import dataclasses
import enum
import logging
from typing import Optional

import pyarrow as pa

from heddle.core import context
from heddle.core.command import CommandContext
from heddle.core.resource import Resource, ResourceConfig
from heddle.core.step import ResourceBinding, StepConfig
from heddle.core.table import Table
from heddle.sdk.plugin import Plugin

plugin = Plugin(namespace="features", version="0.0.1")
std_logger = logging.getLogger("features")


class StoreConfig(ResourceConfig):
    name: str


@plugin.resource(name="store")
class Store(Resource):
    """A resource class: the SDK calls its constructor with the config and close() at the end."""

    def __init__(self, config: StoreConfig) -> None:
        self.name = config.name

    def close(self) -> None:
        plugin.logger.info("store closed", name=self.name)


class Unit(enum.Enum):
    SECONDS = "s"
    MILLIS = "ms"


@dataclasses.dataclass
class ConvertConfig:
    value: float
    unit: Unit = Unit.SECONDS


@plugin.step(name="convert")
def convert(config: ConvertConfig) -> Table:
    """Dataclass config with an Enum field."""
    factor = 1000.0 if config.unit is Unit.SECONDS else 1.0
    return Table.from_pydict({"ms": pa.array([config.value * factor], pa.float64())})


class TagConfig(StepConfig):
    pass


@plugin.step(name="tag", resources={"store": ResourceBinding("store", optional=True)})
def tag(config: TagConfig, input: Optional[Table] = None) -> Table:
    """Uses current() instead of a ctx parameter, an optional binding, and stdlib logging."""
    ctx = context.current()
    store = config.resources["store"]
    std_logger.warning("tagging for call %s", ctx.call_id)
    return Table.from_pydict({"call_id": [ctx.call_id], "store": [store.name if store else None]})


class SpinConfig(StepConfig):
    pass


@plugin.step(name="spin")
def spin(config: SpinConfig, ctx) -> Table:
    """Busy-loops on check_cancelled(): the typed error it raises becomes the answer."""
    while True:
        ctx.check_cancelled()
        ctx.wait(0.005)


class NoConfig(StepConfig):
    pass


_remembered: dict = {}


@plugin.step(name="remember")
def remember(config: NoConfig, input: Table) -> Table:
    """Returns its input plus a column and keeps that output, for `same_as_remembered` (fused calls, §5.4)."""
    output = input.arrow.append_column("remembered", pa.array([True] * input.arrow.num_rows))
    _remembered["table"] = output
    return Table(output)


@plugin.step(name="same_as_remembered")
def same_as_remembered(config: NoConfig, input: Table) -> Table:
    """Reports whether its input is the very table `remember` returned (same object, same buffer address)."""
    previous = _remembered.get("table")
    same_object = input.arrow is previous
    same_buffer = previous is not None and input.arrow.column(0).chunk(0).buffers()[1].address == previous.column(0).chunk(0).buffers()[1].address
    return Table.from_pydict({"same_object": [same_object], "same_buffer": [same_buffer]})


@plugin.command(name="wait_cancel", mode="async")
def wait_cancel(ctx: CommandContext) -> None:
    """Prints with print(file=ctx.stdout), then waits until cancelled."""
    print("waiting", file=ctx.stdout, flush=True)
    while not ctx.wait(60):
        pass


@plugin.command(name="exit_code", mode="both")
def exit_code(ctx: CommandContext) -> None:
    """Reports a failure through ctx.exit_code without raising."""
    ctx.stderr("partial failure")
    ctx.exit_code = 2


if __name__ == "__main__":
    plugin.serve()
