"""The protocol-neutral engine behind the servicer: resource instances, running calls, checks.

It speaks Python (pyarrow tables, HeddleError) so the gRPC adapter in
servicer.py stays a thin translation layer. Checks happen in the order of
docs/protocol.md §5.1: step exists, config, resources, then input; for a
fused call (§5.4) every stage is checked first, then all run on one context.
"""

from __future__ import annotations

import itertools
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence

import pyarrow as pa

from ..core import context as context_module
from ..core.context import SHUTDOWN, StepContext
from ..core.errors import (
    HeddleError,
    InvalidInputError,
    InvalidOutputError,
    MissingResourceError,
    ResourceInitFailedError,
    ResourceNotOpenError,
    StepFailedError,
    UnknownResourceError,
    UnknownStepError,
)
from ..core.logger import Logger
from ..core.resource import close_instance
from ..core.signature import build_arguments
from ..core.step import ResourceBinding, StepDefinition
from ..core.table import Table
from .pace import Pace
from .plugin import Plugin


@dataclass
class PreparedCall:
    """A call that passed the config and resource checks: ready to run once its input is decoded."""

    definition: StepDefinition
    config: Any
    resources: Dict[str, Any]


class CallRegistry:
    """The contexts of running calls by call id, so `Cancel` and shutdown can reach them."""

    def __init__(self) -> None:
        self._calls: Dict[str, StepContext] = {}
        self._lock = threading.Lock()

    def add(self, ctx: StepContext) -> None:
        """Registers a running call (a call without an id cannot be cancelled by id)."""
        if ctx.call_id:
            with self._lock:
                self._calls[ctx.call_id] = ctx

    def remove(self, ctx: StepContext) -> None:
        """Forgets a finished call (only if the id still points at this context)."""
        if ctx.call_id:
            with self._lock:
                if self._calls.get(ctx.call_id) is ctx:
                    del self._calls[ctx.call_id]

    def cancel(self, call_id: str, reason: str) -> bool:
        """Marks the call cancelled; False when no call of that id is running."""
        with self._lock:
            ctx = self._calls.get(call_id)
        if ctx is None:
            return False
        ctx.cancel(reason)
        return True

    def cancel_all(self, reason: str) -> int:
        """Marks every running call cancelled and returns how many there were."""
        with self._lock:
            running = list(self._calls.values())
        for ctx in running:
            ctx.cancel(reason)
        return len(running)

    def __len__(self) -> int:
        return len(self._calls)


class PluginRuntime:
    """Runs one plugin's components for the servicer. Thread-safe: calls run on many threads."""

    def __init__(self, plugin: Plugin, logger: Logger) -> None:
        self.plugin = plugin
        self.logger = logger
        self.calls = CallRegistry()
        self._instances: Dict[str, "tuple[str, Any]"] = {}
        self._instances_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._trace_calls = logger.enabled("trace")  # decided once: the check is on every call
        self.pace = Pace()

    # -- resources ------------------------------------------------------------------------

    def open_resource(self, kind: str, config_json: str) -> str:
        """Validates the config, runs the factory and returns the new instance id.

        Raises UNKNOWN_RESOURCE, INVALID_CONFIG or RESOURCE_INIT_FAILED.
        """
        definition = self.plugin.resources.get(kind)
        if definition is None:
            known = ", ".join(self.plugin.resources) or "none"
            raise UnknownResourceError(
                f"plugin {self.plugin.namespace!r} has no resource {kind!r} (it has: {known})", component=kind
            )
        try:
            config = definition.schema.parse(config_json)
        except HeddleError as exc:
            exc.component = kind
            raise
        kwargs = {definition.params.config: config} if definition.params.config else {}
        try:
            instance = definition.factory(**kwargs)
        except Exception as exc:
            error = ResourceInitFailedError(f"resource {kind!r} could not be opened: {_describe(exc)}", component=kind)
            error.stack = traceback.format_exc()
            raise error from exc
        instance_id = f"{kind}-{next(self._ids)}"
        with self._instances_lock:
            self._instances[instance_id] = (kind, instance)
        self.logger.debug("opened resource", kind=kind, instance=instance_id)
        return instance_id

    def close_resource(self, instance_id: str) -> None:
        """Closes and forgets an instance. Raises RESOURCE_NOT_OPEN for an unknown id.

        An exception from the instance's `close()` is logged: the instance is gone either way.
        """
        with self._instances_lock:
            entry = self._instances.pop(instance_id, None)
        if entry is None:
            raise ResourceNotOpenError(f"resource instance {instance_id!r} is not open (already closed or never opened)")
        self._close(instance_id, entry[1])

    def close_all_resources(self) -> None:
        """Closes every open instance (at shutdown)."""
        with self._instances_lock:
            entries = list(self._instances.items())
            self._instances.clear()
        for instance_id, (_, instance) in entries:
            self._close(instance_id, instance)

    def _close(self, instance_id: str, instance: Any) -> None:
        try:
            close_instance(instance)
        except Exception as exc:
            self.logger.error("closing a resource failed", instance=instance_id, error=_describe(exc))

    @property
    def open_instances(self) -> int:
        """How many resource instances are open."""
        return len(self._instances)

    # -- calls ----------------------------------------------------------------------------

    def prepare(self, step: str, config_json: str, bindings: Mapping[str, str]) -> PreparedCall:
        """Checks 1-3 of protocol §5.1: the step exists, its config is valid, its resources are open."""
        definition = self.plugin.callable(step)
        if definition is None:
            known = ", ".join(list(self.plugin.steps) + list(self.plugin.handlers)) or "none"
            raise UnknownStepError(
                f"plugin {self.plugin.namespace!r} has no step or handler {step!r} (it has: {known})", component=step
            )
        try:
            config = definition.schema.parse(config_json)
        except HeddleError as exc:
            exc.component = step
            raise
        resources = {b.binding: self.bound_instance(step, b, bindings) for b in definition.bindings}
        if resources and definition.wants_resources_on_config:
            config.__dict__["_heddle_resources"] = resources
        return PreparedCall(definition, config, resources)

    def bound_instance(self, step: str, binding: ResourceBinding, bindings: Mapping[str, str]) -> Any:
        """The open instance a call binds to `binding` (None for an absent optional one).

        Raises MISSING_RESOURCE, or RESOURCE_NOT_OPEN for an unknown id or an instance of another kind.
        """
        instance_id = bindings.get(binding.binding)
        if not instance_id:
            if binding.optional:
                return None
            raise MissingResourceError(
                f"step {step!r} needs a {binding.kind!r} resource bound as {binding.binding!r}: "
                f"open one and pass it as <{binding.binding}=instance>",
                component=step,
            )
        entry = self._instances.get(instance_id)
        if entry is None:
            raise ResourceNotOpenError(
                f"resource instance {instance_id!r} bound as {binding.binding!r} is not open; open it before the call",
                component=step,
            )
        if entry[0] != binding.kind:
            raise ResourceNotOpenError(
                f"resource instance {instance_id!r} is a {entry[0]!r}, but binding {binding.binding!r} of step "
                f"{step!r} needs a {binding.kind!r}",
                component=step,
            )
        return entry[1]

    def prepare_chain(self, header: Any) -> List[PreparedCall]:
        """Checks 1-3 for an InvokeHeader's step, then for each fused stage of `header.then` (protocol §5.4).

        Every stage is checked before anything runs; an error names the failing
        stage's step as its component (UNKNOWN_STEP, INVALID_CONFIG, MISSING_RESOURCE, RESOURCE_NOT_OPEN).
        """
        calls = [self.prepare(header.step, header.config_json, header.resources)]
        calls.extend(self.prepare(stage.step, stage.config_json, stage.resources) for stage in header.then)
        return calls

    def run(self, call: PreparedCall, table: Optional[pa.Table], ctx: StepContext) -> Optional[pa.Table]:
        """Runs one prepared call on its decoded input; see `run_chain`."""
        return self.run_chain([call], table, ctx)

    def run_chain(self, calls: Sequence[PreparedCall], table: Optional[pa.Table], ctx: StepContext) -> Optional[pa.Table]:
        """Runs prepared calls in order; returns the last output table or None (a sink).

        The first gets `table`; each next one gets the very pyarrow Table the
        previous returned, in memory (protocol §5.4: no IPC, no copy). `ctx`
        covers the whole chain, so Cancel and the deadline stop it between and
        within stages. Raises INVALID_INPUT (missing input), STEP_FAILED,
        INVALID_OUTPUT naming the failing stage, or CANCELLED/DEADLINE_EXCEEDED
        when the call was cancelled, whatever the steps returned.
        """
        self.calls.add(ctx)
        try:
            current = table
            for call in calls:
                if ctx.cancelled:
                    raise ctx.cancellation_error()
                ctx.step = call.definition.name
                current = self._run_one(call, current, ctx)
            return current
        finally:
            self.calls.remove(ctx)

    def _run_one(self, call: PreparedCall, table: Optional[pa.Table], ctx: StepContext) -> Optional[pa.Table]:
        definition = call.definition
        params = definition.params
        if table is None and params.input is not None and not params.input_optional:
            raise InvalidInputError(
                f"{definition.kind} {definition.name!r} needs an input table and the call gave none", component=definition.name
            )
        wrapped = params.input_class(table) if (table is not None and params.input is not None) else None
        ctx.resources = call.resources
        kwargs = build_arguments(params, call.config, wrapped, ctx)
        token = context_module.activate(ctx)
        if self._trace_calls:
            self.logger.trace("call started", call_id=ctx.call_id, step=definition.name)
        started = time.perf_counter()
        try:
            result = definition.fn(**kwargs)
        except HeddleError as exc:
            if ctx.cancelled:
                raise ctx.cancellation_error() from exc
            if exc.component is None:
                exc.component = definition.name
            if exc.stack is None:
                exc.stack = traceback.format_exc()
            raise
        except Exception as exc:
            if ctx.cancelled:
                raise ctx.cancellation_error() from exc
            error = StepFailedError(_describe(exc), component=definition.name)
            error.stack = traceback.format_exc()
            raise error from exc
        finally:
            self.pace.record(definition.name, time.perf_counter() - started)
            context_module.deactivate(token)
            if self._trace_calls:
                self.logger.trace("call finished", call_id=ctx.call_id, step=definition.name)
        if ctx.cancelled:
            raise ctx.cancellation_error()
        return to_arrow_output(result, definition)

    def cancel(self, call_id: str, reason: str) -> bool:
        """Marks a running call cancelled; False when it is not running."""
        return self.calls.cancel(call_id, reason)

    def stop_calls(self) -> int:
        """Cancels every running call (grace period over at shutdown)."""
        return self.calls.cancel_all(SHUTDOWN)


def to_arrow_output(result: Any, definition: Any) -> Optional[pa.Table]:
    """A step's return value as a pyarrow Table (None stays None). Raises INVALID_OUTPUT otherwise."""
    if result is None:
        return None
    if isinstance(result, Table):
        return result.arrow
    if isinstance(result, pa.Table):
        return result
    if isinstance(result, pa.RecordBatch):
        return pa.Table.from_batches([result])
    raise InvalidOutputError(
        f"{definition.kind} {definition.name!r} returned {type(result).__name__}, not a table: "
        "return a heddle Table (e.g. Table.from_pandas(df)), a pyarrow Table, or None for no output",
        component=definition.name,
    )


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
