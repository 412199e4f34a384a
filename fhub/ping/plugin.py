"""fhub/ping: the smallest useful Heddle plugin, a liveness check.

Heimdall's `ping` command answers a one-column result (`message`); this plugin
offers the same answer two ways, so both the command path (RunCommand) and the
step path (Invoke) of a host can be checked end to end:

- command `ping` (sync, any cluster): context `{message?: str}`, writes the
  message as one stdout line, returns one row `{message}`.
- step `ping.echo`: config `{message?: str}`, no input table, returns one row
  `{message}`.
"""

import pyarrow as pa

from heddle.core.command import CommandContext
from heddle.core.step import StepConfig
from heddle.core.table import Table
from heddle.sdk.plugin import Plugin

DEFAULT_MESSAGE = "pong"
MESSAGE_SCHEMA = pa.schema([("message", pa.string())])

plugin = Plugin(namespace="ping")


class PingContext(StepConfig):
    """What `ping` and `ping.echo` accept: the message to answer with."""

    message: str = DEFAULT_MESSAGE


def message_table(message: str) -> Table:
    """The one-row result Heimdall's ping returns: a single string column `message`."""
    return Table.from_pydict({"message": pa.array([message], pa.string())}, schema=MESSAGE_SCHEMA)


@plugin.command(name="ping", mode="sync")
def ping(ctx: CommandContext, context: PingContext) -> Table:
    """Writes the message (default "pong") to stdout and returns it as one row {message}."""
    ctx.stdout(context.message)
    return message_table(context.message)


@plugin.step(name="echo", output_schema=MESSAGE_SCHEMA)
def echo(config: PingContext) -> Table:
    """Answers one row {message} (default "pong"); takes no input table."""
    return message_table(config.message)


if __name__ == "__main__":
    plugin.serve()
