"""Which answers move on to the next target, Retry-After, and backing off on a clock."""

from __future__ import annotations

import pytest
from sbc.config import Config
from sbc.routing import MAX_RETRY_AFTER, Backoff, Verdict, retry_after, verdict
from sbc.sip import Headers, Response


@pytest.mark.parametrize("status", [408, 500, 503, 504])
def test_hop_failures_move_on(status: int) -> None:
    assert verdict(status) is Verdict.NEXT
    assert verdict(status, rang=True) is Verdict.FINAL  # the callee's phones already rang


@pytest.mark.parametrize("status", [200, 180, 400, 403, 404, 480, 486, 487, 488, 502, 600, 603])
def test_everything_else_is_final(status: int) -> None:
    assert verdict(status) is Verdict.FINAL


def response(*values: str) -> Response:
    return Response(503, headers=Headers([("Retry-After", v) for v in values]))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((), None),
        (("120",), 120.0),
        (("120 (maintenance)",), 120.0),
        (("30;duration=600",), 30.0),
        ((" 18000 (overnight) ;duration=60",), MAX_RETRY_AFTER),
        (("soon",), None),
        (("-5",), None),
        (("12.5",), None),
        (("60", "5"), 60.0),
    ],
)
def test_retry_after(values: tuple[str, ...], expected: float | None) -> None:
    assert retry_after(response(*values)) == expected


def test_backoff_with_an_injected_clock(config: Config) -> None:
    targets = config.group("Teams")
    backoff = Backoff()
    every = backoff.usable(targets, 0.0, lambda name: True)
    assert [t.name for t in every] == ["Teams1", "Teams2", "Teams3"]
    backoff.note("Teams1", 30.0, now=100.0)
    backoff.note("Teams2", None, now=100.0)  # a 503 without Retry-After: no backing off
    assert [t.name for t in backoff.usable(targets, 129.9, lambda n: True)] == ["Teams2", "Teams3"]
    assert [t.name for t in backoff.usable(targets, 130.0, lambda n: True)] == [
        "Teams1",
        "Teams2",
        "Teams3",
    ]
    # A shorter Retry-After does not cut a longer one short; a huge one is capped.
    backoff.note("Teams3", 600.0, now=0.0)
    backoff.note("Teams3", 10.0, now=0.0)
    assert backoff.backing_off("Teams3", 599.0)
    backoff.note("Teams1", 1e9, now=0.0)
    assert backoff.backing_off("Teams1", MAX_RETRY_AFTER - 1)
    assert not backoff.backing_off("Teams1", MAX_RETRY_AFTER)


def test_unhealthy_targets_are_skipped_and_none_left_is_empty(config: Config) -> None:
    targets = config.group("Teams")
    backoff = Backoff()
    alive = {"Teams3"}
    assert [t.name for t in backoff.usable(targets, 0.0, alive.__contains__)] == ["Teams3"]
    backoff.note("Teams3", 60.0, now=0.0)
    assert backoff.usable(targets, 1.0, alive.__contains__) == ()
