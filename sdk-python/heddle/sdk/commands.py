"""Runs Heimdall commands (protocol §6): the command on a worker thread, its events streamed back.

Lines written with `ctx.stdout`/`ctx.stderr` reach the host while the command
runs, because the command works on its own thread and the RPC thread only
forwards what it puts on a queue.
"""

from __future__ import annotations

import json
import queue
import threading
import traceback
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Optional, Union

import pyarrow as pa

from ..core import context as context_module
from ..core.command import CommandContext, CommandDefinition, LineWriter
from ..core.errors import CommandFailedError, HeddleError, InvalidConfigError, UnknownCommandError
from ..core.signature import build_arguments
from .runtime import PluginRuntime, to_arrow_output

SUCCEEDED, FAILED, CANCELED = "succeeded", "failed", "canceled"
EXIT_FAILED = 1
EXIT_CANCELED = 130  # the shell's convention for "stopped by an interrupt"


@dataclass
class Line:
    """A line the command wrote; `stream` is "stdout" or "stderr"."""

    stream: str
    text: str


@dataclass
class Result:
    """The command's result table."""

    table: pa.Table


@dataclass
class Status:
    """The final event: state (succeeded, failed, canceled), error if any, exit code."""

    state: str
    error: Optional[HeddleError]
    exit_code: int


Event = Union[Line, Result, Status]
_DONE = object()


class CommandRunner:
    """Starts commands of one plugin; each `run` is a generator of events ending with one Status."""

    def __init__(self, runtime: PluginRuntime) -> None:
        self.runtime = runtime

    def prepare(
        self,
        call_id: str,
        command: str,
        context_json: str,
        cluster_json: str,
        job_id: str,
        bindings: Mapping[str, str],
        timeout_s: Optional[float],
    ) -> "tuple[CommandDefinition, CommandContext, queue.Queue]":
        """Validates the request and builds the command's context.

        Raises UNKNOWN_COMMAND, INVALID_CONFIG, MISSING_RESOURCE or RESOURCE_NOT_OPEN.
        """
        plugin = self.runtime.plugin
        definition = plugin.commands.get(command)
        if definition is None:
            known = ", ".join(plugin.commands) or "none"
            raise UnknownCommandError(f"plugin {plugin.namespace!r} has no command {command!r} (it has: {known})", component=command)
        try:
            context = definition.schema.parse(context_json)
            cluster = _parse_cluster(cluster_json)
            if definition.cluster_schema is not None and isinstance(cluster.get("context"), dict):
                definition.cluster_schema.validate(cluster["context"])
        except HeddleError as exc:
            exc.component = exc.component or command
            raise
        resources = {b.binding: self.runtime.bound_instance(command, b, bindings) for b in definition.bindings}
        events: "queue.Queue[Any]" = queue.Queue()
        ctx = CommandContext(
            call_id=call_id,
            command=command,
            context=context,
            cluster=cluster,
            job_id=job_id,
            stdout=LineWriter(lambda line: events.put(Line("stdout", line))),
            stderr=LineWriter(lambda line: events.put(Line("stderr", line))),
            logger=self.runtime.logger,
            resources=resources,
            timeout_s=timeout_s,
        )
        return definition, ctx, events

    def run(self, definition: CommandDefinition, ctx: CommandContext, events: "queue.Queue[Any]") -> Iterator[Event]:
        """Runs the command on a worker thread and yields its events as they come, Status last.

        Closing the generator early (the RPC went away) cancels the command.
        """
        worker = threading.Thread(
            target=self._work, args=(definition, ctx, events), name=f"heddle-command-{definition.name}", daemon=True
        )
        worker.start()
        try:
            while True:
                event = events.get()
                if event is _DONE:
                    return
                yield event
        finally:
            if worker.is_alive():
                ctx.cancel()

    def _work(self, definition: CommandDefinition, ctx: CommandContext, events: "queue.Queue[Any]") -> None:
        self.runtime.calls.add(ctx)
        token = context_module.activate(ctx)
        try:
            result = definition.fn(**build_arguments(definition.params, ctx.context, None, ctx))
            ctx.stdout.flush()
            ctx.stderr.flush()
            if ctx.cancelled:
                events.put(Status(CANCELED, ctx.cancellation_error(), EXIT_CANCELED))
                return
            table = to_arrow_output(result, _AsCommand(definition))
            if table is not None:
                events.put(Result(table))
            events.put(Status(SUCCEEDED if ctx.exit_code == 0 else FAILED, None, ctx.exit_code))
        except Exception as exc:
            ctx.stdout.flush()
            ctx.stderr.flush()
            events.put(self._failure(definition, ctx, exc))
        finally:
            context_module.deactivate(token)
            self.runtime.calls.remove(ctx)
            events.put(_DONE)

    @staticmethod
    def _failure(definition: CommandDefinition, ctx: CommandContext, exc: Exception) -> Status:
        if ctx.cancelled:
            return Status(CANCELED, ctx.cancellation_error(), EXIT_CANCELED)
        if isinstance(exc, HeddleError):
            error = exc
        else:
            text = str(exc)
            error = CommandFailedError(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)
        error.component = error.component or definition.name
        error.stack = error.stack or traceback.format_exc()
        return Status(FAILED, error, ctx.exit_code or EXIT_FAILED)


class _AsCommand:
    """Adapts a CommandDefinition to what to_arrow_output names in its INVALID_OUTPUT message."""

    def __init__(self, definition: CommandDefinition) -> None:
        self.kind = "command"
        self.name = definition.name


def _parse_cluster(cluster_json: str) -> dict:
    if not cluster_json:
        return {}
    try:
        cluster = json.loads(cluster_json)
    except ValueError as exc:
        raise InvalidConfigError(f"cluster_json is not valid JSON ({exc})", field="") from None
    if not isinstance(cluster, dict):
        raise InvalidConfigError("cluster_json must be a JSON object (name, tags, context)", field="")
    return cluster
