"""Unit: StepContext cancellation, deadlines and the current() lookup."""

import threading

import pytest

from heddle.core import context
from heddle.core.context import StepContext
from heddle.core.errors import CancelledError, DeadlineExceededError


def test_cancel_from_another_thread_wakes_wait():
    ctx = StepContext("c1", "sleep")
    assert not ctx.cancelled and ctx.cancel_reason is None and ctx.time_remaining() is None
    threading.Thread(target=ctx.cancel).start()
    assert ctx.wait(600) is True
    assert ctx.cancelled and ctx.cancel_reason == "cancelled"
    with pytest.raises(CancelledError, match="c1"):
        ctx.check_cancelled()


def test_deadline_marks_the_call_cancelled():
    ctx = StepContext("c2", "sleep", timeout_s=0.01)
    assert ctx.deadline is not None
    assert ctx.wait(600) is True  # returns at the deadline, not after ten minutes
    assert ctx.cancel_reason == "deadline" and ctx.time_remaining() == 0
    with pytest.raises(DeadlineExceededError):
        ctx.check_cancelled()


def test_wait_without_cancellation_returns_false():
    assert StepContext("c3", "s").wait(0.001) is False


def test_first_reason_wins():
    ctx = StepContext("c4", "s")
    ctx.cancel("shutdown")
    ctx.cancel("cancelled")
    assert ctx.cancel_reason == "shutdown" and "shutting down" in ctx.cancellation_error().message


def test_current_follows_activation():
    assert context.current() is None
    ctx = StepContext("c5", "s")
    token = context.activate(ctx)
    try:
        assert context.current() is ctx
    finally:
        context.deactivate(token)
    assert context.current() is None
