"""StepContext: what a running call knows about itself (id, deadline, cancellation, logger).

A step gets it by declaring a `ctx` parameter; code deeper down can fetch it
with `heddle.core.context.current()`. Cancellation is cooperative: the SDK
marks the context when the host calls `Cancel`, cancels the gRPC call, or the
deadline passes, and step code checks `ctx.cancelled` / `ctx.check_cancelled()`
or sleeps with `ctx.wait(seconds)`, which wakes early on cancellation.
"""

from __future__ import annotations

import contextvars
import threading
import time
from typing import Any, Dict, Mapping, Optional

from .errors import CancelledError, DeadlineExceededError, HeddleError
from .logger import Logger, get_logger

CANCELLED = "cancelled"
"""`cancel_reason` when the host (or user) cancelled the call."""

DEADLINE = "deadline"
"""`cancel_reason` when the call's deadline passed."""

SHUTDOWN = "shutdown"
"""`cancel_reason` when the plugin is shutting down and the grace period ran out."""

_EVENT_LOCK = threading.Lock()


class StepContext:
    """The context of one call (step, handler or command).

    Attributes: `call_id` (the host's id, used by Cancel), `step` (component
    name), `deadline` (wall-clock epoch seconds, or None), `logger`, and
    `resources` (binding name → resource instance).
    """

    __slots__ = ("call_id", "step", "deadline", "logger", "resources", "_event", "_reason", "_deadline_mono")

    def __init__(
        self,
        call_id: str = "",
        step: str = "",
        timeout_s: Optional[float] = None,
        logger: Optional[Logger] = None,
        resources: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.call_id = call_id
        self.step = step
        self.logger = logger or get_logger()
        self.resources: Dict[str, Any] = dict(resources) if resources else {}
        self._event: Optional[threading.Event] = None  # made by the first wait(): most calls never sleep
        self._reason: Optional[str] = None
        if timeout_s is None:
            self.deadline: Optional[float] = None
            self._deadline_mono: Optional[float] = None
        else:
            self.deadline = time.time() + timeout_s
            self._deadline_mono = time.monotonic() + timeout_s

    @property
    def cancelled(self) -> bool:
        """True once the call was cancelled or its deadline passed."""
        if self._reason is not None:
            return True
        if self._deadline_mono is not None and time.monotonic() >= self._deadline_mono:
            self.cancel(DEADLINE)
            return True
        return False

    @property
    def cancel_reason(self) -> Optional[str]:
        """Why the call was cancelled (`"cancelled"`, `"deadline"`, `"shutdown"`), or None."""
        self.cancelled  # noqa: B018 - refreshes the deadline check
        return self._reason

    def cancel(self, reason: str = CANCELLED) -> None:
        """Marks the call cancelled (the first reason wins). Called by the SDK; safe from any thread."""
        if self._reason is None:
            self._reason = reason
        event = self._event
        if event is not None:
            event.set()

    def time_remaining(self) -> Optional[float]:
        """Seconds left before the deadline (never negative), or None without a deadline."""
        if self._deadline_mono is None:
            return None
        return max(0.0, self._deadline_mono - time.monotonic())

    def check_cancelled(self) -> None:
        """Raises CancelledError (or DeadlineExceededError) if the call was cancelled; else returns."""
        if self.cancelled:
            raise self.cancellation_error()

    def wait(self, seconds: float) -> bool:
        """Sleeps up to `seconds`, returning early (True) as soon as the call is cancelled.

        Returns False when the full time passed without cancellation.
        """
        end = time.monotonic() + max(0.0, seconds)
        event = self._event
        if event is None:
            with _EVENT_LOCK:  # two threads waiting on one call must share one event
                if self._event is None:
                    self._event = threading.Event()  # published before the check below: cancel() cannot miss it
                event = self._event
        while True:
            if self.cancelled:
                return True
            now = time.monotonic()
            if now >= end:
                return False
            limit = end - now
            if self._deadline_mono is not None:
                limit = min(limit, max(0.0, self._deadline_mono - now))
            if event.wait(limit):
                return True

    def cancellation_error(self) -> HeddleError:
        """The typed error that reports this call's cancellation (DEADLINE_EXCEEDED or CANCELLED)."""
        what = f"call {self.call_id!r} to {self.step!r}" if self.call_id else f"call to {self.step!r}"
        if self._reason == DEADLINE:
            return DeadlineExceededError(f"{what} ran past its deadline; raise the timeout or make the step faster")
        if self._reason == SHUTDOWN:
            return CancelledError(f"{what} was stopped because the plugin is shutting down")
        return CancelledError(f"{what} was cancelled")


_current: contextvars.ContextVar[Optional[StepContext]] = contextvars.ContextVar("heddle_step_context", default=None)


def current() -> Optional[StepContext]:
    """The context of the call running on this thread, or None outside a call."""
    return _current.get()


def activate(ctx: StepContext) -> contextvars.Token:
    """Makes `ctx` the current context (SDK use); pass the token to `deactivate` afterwards."""
    return _current.set(ctx)


def deactivate(token: contextvars.Token) -> None:
    """Restores the context that was current before `activate`."""
    _current.reset(token)
