"""Numbers to E.164 by each peer's plan: a table of what peers send, and a fuzz test."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sbc.config import NumberPlan
from sbc.routing import RouteError, normalise
from sbc.routing.numbers import clean, is_number, to_peer

GERMANY = NumberPlan("49", "0", "00", "e164")
NATIONAL = NumberPlan("49", "0", "00", "national")


@pytest.mark.parametrize(
    ("raw", "plan", "expected"),
    [
        ("+4930123456", GERMANY, "+4930123456"),
        ("030123456", GERMANY, "+4930123456"),
        ("004930123456", GERMANY, "+4930123456"),
        ("0044207123456", GERMANY, "+44207123456"),
        ("+49 (30) 123-45.6", GERMANY, "+4930123456"),
        ("030 / 123", None, None),  # '/' is not a separator: garbage
        ("110", GERMANY, "110"),  # short codes stay dial strings
        ("*31#", GERMANY, "*31#"),
        ("+4930123456", None, "+4930123456"),  # Teams: no plan, E.164 only
        ("030123456", None, "030123456"),  # without a plan a national number stays
        ("+493012345678901", GERMANY, "+493012345678901"),  # 15 digits: the E.164 maximum
    ],
)
def test_normalise(raw: str, plan: NumberPlan | None, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(RouteError) as info:
            normalise(raw, plan, what="called", status=484)
        assert info.value.status == 484
        assert raw in info.value.reason
    else:
        assert normalise(raw, plan, what="called", status=484) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "called number is empty"),
        ("- -", "called number is empty"),
        ("alice", "called number 'alice' is not a phone number"),
        ("+49*30", "not a phone number"),
        ("+4930123456789012", "not E.164 (more than 15 digits)"),
        ("+0301234", "not E.164 (no country code: it starts with 0)"),
        ("0", "'0' is not E.164 (fewer than 6 digits)"),  # a bare national prefix
        ("0301", "not E.164 (fewer than 6 digits)"),
        ("1" * 25, "longer than 24 digits"),
        ("\u0663\u0660", "not a phone number"),  # Arabic-Indic digits are not ASCII digits
    ],
)
def test_garbage_is_a_route_error(raw: str, message: str) -> None:
    with pytest.raises(RouteError) as info:
        normalise(raw, GERMANY, what="called", status=484)
    assert info.value.status == 484
    assert message in info.value.reason


def test_to_peer_and_helpers() -> None:
    assert to_peer("+4930123456", NATIONAL) == "030123456"
    assert to_peer("+44207123456", NATIONAL) == "0044207123456"
    assert to_peer("+4930123456", GERMANY) == "+4930123456"
    assert to_peer("+4930123456", None) == "+4930123456"
    assert to_peer("110", NATIONAL) == "110"
    assert clean("(030) 12-34.5 6") == "0301234 56".replace(" ", "")
    assert is_number("+4930123") and is_number("110") and not is_number("+49+30")


PLANS = st.sampled_from([GERMANY, NATIONAL, NumberPlan("1", "1", "011", "e164"), None])


@given(st.text(max_size=40), PLANS)
def test_normalise_never_crashes(raw: str, plan: NumberPlan | None) -> None:
    """Any text is either a number routing can use or a RouteError; nothing else."""
    try:
        number = normalise(raw, plan, what="calling", status=400)
    except RouteError as err:
        assert err.status == 400 and err.reason
    else:
        assert is_number(number)


@given(st.text(alphabet="0123456789+*#-.() ", max_size=30), PLANS)
def test_normalise_number_like_text(raw: str, plan: NumberPlan | None) -> None:
    try:
        number = normalise(raw, plan, what="called", status=484)
    except RouteError as err:
        assert err.status == 484
    else:
        assert is_number(number)
        # Normalising is idempotent: an E.164 result stays as it is.
        if number.startswith("+"):
            assert normalise(number, plan, what="called", status=484) == number
