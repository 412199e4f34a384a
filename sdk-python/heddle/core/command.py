"""Heimdall commands: jobs run through `RunCommand`, streaming output lines and a result table.

    class PingContext(StepConfig):
        message: str = "pong"

    @plugin.command(name="ping", mode="sync")
    def ping(ctx: CommandContext, context: PingContext) -> Table:
        ctx.stdout("ping")
        return Table.from_pylist([{"message": context.message}])

The command function receives its validated context (a config parameter, also
`ctx.context`), the selected cluster (`ctx.cluster`, a dict), and writes lines
with `ctx.stdout(...)` / `ctx.stderr(...)` (also usable as files with print).
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

from .context import StepContext
from .logger import Logger
from .schema import ConfigSchema
from .signature import Parameters
from .step import ResourceBinding


class ExecutionMode(str, enum.Enum):
    """How Heimdall may run a command: inside the request (sync), queued (async), or either."""

    SYNC = "sync"
    ASYNC = "async"
    BOTH = "both"


class LineWriter:
    """Sends text to the host line by line (`stdout`/`stderr` of a command).

    Call it with a line (`ctx.stdout("done")`), or use it as a text file
    (`print(x, file=ctx.stdout)`): text is split at newlines and a trailing
    partial line waits for `flush()` or the end of the command.
    """

    def __init__(self, emit: Callable[[str], None]) -> None:
        self._emit = emit
        self._partial = ""
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        """Sends one line (newlines inside split it into several)."""
        self.write(str(line) + "\n")

    def write(self, text: str) -> int:
        """File-like write: complete lines are sent at once."""
        with self._lock:
            lines = (self._partial + text).split("\n")
            self._partial = lines.pop()
        for line in lines:
            self._emit(line)
        return len(text)

    def flush(self) -> None:
        """Sends a pending partial line, if any."""
        with self._lock:
            pending, self._partial = self._partial, ""
        if pending:
            self._emit(pending)


class CommandContext(StepContext):
    """The context of one RunCommand: a StepContext plus the command's inputs and output writers.

    `context` is the validated command context, `cluster` the selected
    cluster (name, tags, context) as a dict, `job_id` the Heimdall job, and
    `exit_code` what the status reports (0 unless the command sets it).
    """

    __slots__ = ("command", "context", "cluster", "job_id", "stdout", "stderr", "exit_code")

    def __init__(
        self,
        call_id: str,
        command: str,
        context: Any,
        cluster: Dict[str, Any],
        job_id: str,
        stdout: LineWriter,
        stderr: LineWriter,
        logger: Optional[Logger] = None,
        resources: Optional[Dict[str, Any]] = None,
        timeout_s: Optional[float] = None,
    ) -> None:
        super().__init__(call_id=call_id, step=command, timeout_s=timeout_s, logger=logger, resources=resources)
        self.command = command
        self.context = context
        self.cluster = cluster
        self.job_id = job_id
        self.stdout = stdout
        self.stderr = stderr
        self.exit_code = 0


@dataclass
class CommandDefinition:
    """Everything the SDK knows about one registered command."""

    name: str
    fn: Callable[..., Any]
    description: str
    params: Parameters
    schema: ConfigSchema
    mode: ExecutionMode
    cluster_types: List[str]
    cluster_schema: Optional[ConfigSchema]
    bindings: List[ResourceBinding]
