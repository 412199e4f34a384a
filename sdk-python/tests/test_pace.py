"""Pace: a step earns running in place after quick runs in a row and loses it at one slow run."""

from heddle.sdk.pace import QUICK_S, TRUSTED_AFTER, Pace


def test_trust_is_earned_by_quick_runs_in_a_row_and_lost_at_one_slow_run():
    pace = Pace()
    for _ in range(TRUSTED_AFTER - 1):
        pace.record("echo", QUICK_S / 10)
    assert not pace.trusted(["echo"])
    pace.record("echo", QUICK_S / 10)
    assert pace.trusted(["echo"])
    assert not pace.trusted(["echo", "unknown"])  # every step of a fused call must be trusted
    pace.record("echo", QUICK_S * 10)
    assert not pace.trusted(["echo"])
