"""RFC 4028 session timers per leg: tables of what a request or 2xx says and what the
leg's timer becomes, and the §11-style negotiation (422, retry, 2xx) run end to end
with one side of this module playing the peer."""

from __future__ import annotations

import pytest
from sbc.b2bua.timers import (
    LegTimer,
    TimerSettings,
    request_headers,
    retry_interval_after_422,
    uac_timer,
    uas_answer,
    uas_too_small,
)
from sbc.sip import Headers, Request, Response, SipPeerError, SipUsageError, parse_uri
from sbc.sip.validate import error_response

BASE = [
    ("Via", "SIP/2.0/TLS 52.114.1.1:5061;branch=z9hG4bKt1"),
    ("From", "<sip:+4930111@sip.pstnhub.microsoft.com>;tag=f1"),
    ("To", "<sip:+4930123@sbc.example.com>"),
    ("Call-ID", "c1@52.114.1.1"),
    ("CSeq", "1 INVITE"),
]
DEFAULT = TimerSettings()


def invite(*headers: tuple[str, str]) -> Request:
    return Request("INVITE", parse_uri("sip:+4930123@sbc.example.com"),
                   Headers([*BASE, *headers]))


def response(status: int, *headers: tuple[str, str]) -> Response:
    return Response(status, headers=Headers([*BASE, *headers]))


def test_leg_timer_refresh_at_half_and_expiry_before_the_end() -> None:
    timer = LegTimer(1800, we_refresh=True)
    assert timer.refresh_at(100.0) == 1000.0
    assert timer.expire_at(100.0) == 100.0 + 1800 - 32  # §10: min(32, 1800/3) = 32
    short = LegTimer(90, we_refresh=False)
    assert short.refresh_at(0.0) == 45.0
    assert short.expire_at(0.0) == 60.0  # min(32, 90/3) = 30


@pytest.mark.parametrize("session_expires, min_se", [(1800, 60), (600, 900), (10**6, 90)])
def test_settings_outside_the_rfc_are_our_bug(session_expires: int, min_se: int) -> None:
    with pytest.raises(SipUsageError):
        TimerSettings(session_expires, min_se)


@pytest.mark.parametrize("settings, interval, min_se, expected", [
    # §7.1: no refresher in the initial request, the UAS picks
    (DEFAULT, None, None, [("Session-Expires", "1800"), ("Min-SE", "90")]),
    (TimerSettings(3600, 600), None, None, [("Session-Expires", "3600"), ("Min-SE", "600")]),
    # the retry after "422, Min-SE: 3600" carries the new floor too
    (DEFAULT, 3600, 3600, [("Session-Expires", "3600"), ("Min-SE", "3600")]),
    # a refresh at the negotiated interval
    (DEFAULT, 900, None, [("Session-Expires", "900"), ("Min-SE", "90")]),
    # never ask below our own floor
    (TimerSettings(1800, 600), 300, None, [("Session-Expires", "600"), ("Min-SE", "600")]),
])
def test_request_headers(settings: TimerSettings, interval: int | None, min_se: int | None,
                         expected: list[tuple[str, str]]) -> None:
    assert request_headers(settings, interval, min_se=min_se) == expected


@pytest.mark.parametrize("headers, current, expected", [
    ([("Min-SE", "3600")], 1800, 3600),  # §7.3: retry with the 422's Min-SE
    ([("Min-SE", " 1900 ;x=1")], 1800, 1900),
    ([("Min-SE", "1800")], 1800, None),  # no higher than what was refused: a loop
    ([("Min-SE", "600")], 1800, None),
    ([], 1800, None),  # a 422 without Min-SE says nothing to retry with
    ([("Min-SE", "soon")], 1800, None),
    ([("Min-SE", "86400")], 1800, 86400),
    ([("Min-SE", "86401")], 1800, None),  # a day and more is not sane
])
def test_retry_interval_after_422(headers: list[tuple[str, str]], current: int,
                                  expected: int | None) -> None:
    assert retry_interval_after_422(response(422, *headers), current) == expected


@pytest.mark.parametrize("headers, expected", [
    # §7.2: refresher=uac in the 2xx to our INVITE: we refresh
    ([("Session-Expires", "1800;refresher=uac"), ("Require", "timer")], LegTimer(1800, True)),
    ([("Session-Expires", "1800;refresher=uas")], LegTimer(1800, False)),
    ([("Session-Expires", "3600;Refresher=UAS")], LegTimer(3600, False)),
    ([("x", "900;refresher=uas")], LegTimer(900, False)),  # compact form
    # a proxy's Session-Expires without refresher (§8.2 has it say uac): ours
    ([("Session-Expires", "1800")], LegTimer(1800, True)),
    # §7.2: no Session-Expires in the 2xx, no session expiration
    ([], None),
    ([("Supported", "timer")], None),
    # the RFC's floor holds even when the peer ignores it
    ([("Session-Expires", "30;refresher=uas")], LegTimer(90, False)),
    # garbage in a 2xx must not kill the call: refresh at our Min-SE
    ([("Session-Expires", "half an hour")], LegTimer(90, True)),
    ([("Session-Expires", "1800;refresher=both")], LegTimer(90, True)),
])
def test_uac_timer_from_the_2xx(headers: list[tuple[str, str]],
                                expected: LegTimer | None) -> None:
    assert uac_timer(response(200, *headers), DEFAULT) == expected


@pytest.mark.parametrize("settings, headers, expected", [
    (DEFAULT, [("Supported", "timer"), ("Session-Expires", "60")], 90),
    (TimerSettings(1800, 1800), [("Supported", "timer"), ("Session-Expires", "1000")], 1800),
    (TimerSettings(1800, 1800), [("Supported", "timer"), ("Session-Expires", "1800")], None),
    (DEFAULT, [("Require", "timer"), ("Session-Expires", "89")], 90),
    # the request's own Min-SE raises the floor we answer with
    (TimerSettings(1800, 600),
     [("Supported", "timer"), ("Session-Expires", "700"), ("Min-SE", "1200")], 1200),
    # a peer without timer support cannot retry: no 422, uas_answer raises the value
    (DEFAULT, [("Session-Expires", "60")], None),
    (DEFAULT, [("Supported", "timer")], None),
    (DEFAULT, [], None),
])
def test_uas_too_small(settings: TimerSettings, headers: list[tuple[str, str]],
                       expected: int | None) -> None:
    assert uas_too_small(invite(*headers), settings) == expected


REQUIRE = ("Require", "timer")


@pytest.mark.parametrize("settings, headers, answer, timer", [
    # §9: the interval is copied; no refresher asked, so we take it (uas)
    (DEFAULT, [("Supported", "timer"), ("Session-Expires", "1800")],
     [("Session-Expires", "1800;refresher=uas"), REQUIRE], LegTimer(1800, True)),
    # the peer's choice of refresher is honoured
    (DEFAULT, [("Supported", "timer"), ("Session-Expires", "1800;refresher=uac")],
     [("Session-Expires", "1800;refresher=uac"), REQUIRE], LegTimer(1800, False)),
    (DEFAULT, [("Supported", "timer"), ("Session-Expires", "1800;refresher=uas")],
     [("Session-Expires", "1800;refresher=uas"), REQUIRE], LegTimer(1800, True)),
    # a longer interval is lowered to ours, never raised
    (DEFAULT, [("Supported", "timer"), ("Session-Expires", "7200")],
     [("Session-Expires", "1800;refresher=uas"), REQUIRE], LegTimer(1800, True)),
    (DEFAULT, [("Supported", "timer"), ("Session-Expires", "600")],
     [("Session-Expires", "600;refresher=uas"), REQUIRE], LegTimer(600, True)),
    # ... but not below the request's Min-SE
    (DEFAULT, [("Supported", "timer"), ("Session-Expires", "7200"), ("Min-SE", "3600")],
     [("Session-Expires", "3600;refresher=uas"), REQUIRE], LegTimer(3600, True)),
    # timer support without Session-Expires: we ask for ours, at least its Min-SE
    (DEFAULT, [("Supported", "100rel, timer"), ("Min-SE", "600")],
     [("Session-Expires", "1800;refresher=uas"), REQUIRE], LegTimer(1800, True)),
    (DEFAULT, [("k", "timer"), ("Min-SE", "2400")],
     [("Session-Expires", "2400;refresher=uas"), REQUIRE], LegTimer(2400, True)),
    # no timer support (a proxy added Session-Expires): refresher=uas, no Require,
    # and a refresher=uac the peer cannot honour is overruled
    (DEFAULT, [("Session-Expires", "1800;refresher=uac")],
     [("Session-Expires", "1800;refresher=uas")], LegTimer(1800, True)),
    # ... a too small interval is raised rather than refused (erratum 1687)
    (TimerSettings(1800, 600), [("Session-Expires", "300")],
     [("Session-Expires", "600;refresher=uas")], LegTimer(600, True)),
    # neither support nor Session-Expires: no timer on this leg
    (DEFAULT, [("Supported", "100rel")], [], None),
    (DEFAULT, [], [], None),
])
def test_uas_answer(settings: TimerSettings, headers: list[tuple[str, str]],
                    answer: list[tuple[str, str]], timer: LegTimer | None) -> None:
    assert uas_answer(invite(*headers), settings) == (answer, timer)


@pytest.mark.parametrize("headers", [
    [("Supported", "timer"), ("Session-Expires", "soon")],
    [("Supported", "timer"), ("Session-Expires", "1800;refresher=proxy")],
    [("Supported", "timer"), ("Session-Expires", "1800;;")],
    [("Supported", "timer"), ("Session-Expires", "1800"), ("Min-SE", "-5")],
])
def test_malformed_values_in_a_request_earn_400(headers: list[tuple[str, str]]) -> None:
    request = invite(*headers)
    for call in (uas_too_small, uas_answer):
        with pytest.raises(SipPeerError) as caught:
            call(request, DEFAULT)
        assert caught.value.status == 400
        answer = error_response(caught.value, to_tag="t1")
        assert answer is not None and answer.status == 400
        assert answer.call_id == "c1@52.114.1.1"


def test_rfc4028_section_11_negotiation_with_a_422_and_a_retry() -> None:
    """Our b-leg asks with the defaults; the peer (this module as UAS, floor 3600)
    answers 422, we retry once with its Min-SE, it accepts and takes the refresh
    itself because we named no refresher; exactly one end refreshes."""
    ours = TimerSettings()
    theirs = TimerSettings(session_expires=7200, min_se=3600)
    first = invite(("Supported", "timer"), *request_headers(ours))
    floor = uas_too_small(first, theirs)
    assert floor == 3600
    reject = response(422, ("Min-SE", str(floor)))
    retry_with = retry_interval_after_422(reject, current=ours.session_expires)
    assert retry_with == 3600
    second = invite(("Supported", "timer"),
                    *request_headers(ours, retry_with, min_se=retry_with))
    assert second.headers.get("Min-SE") == "3600"
    assert uas_too_small(second, theirs) is None
    answer, their_timer = uas_answer(second, theirs)
    assert answer == [("Session-Expires", "3600;refresher=uas"), ("Require", "timer")]
    our_timer = uac_timer(response(200, *answer), ours)
    assert our_timer == LegTimer(3600, we_refresh=False)
    assert their_timer == LegTimer(3600, we_refresh=True)
    # a second 422 for the same value is not retried (AT-19: no 422 loops)
    assert retry_interval_after_422(reject, current=retry_with) is None


def test_uac_refresher_negotiated_both_ways() -> None:
    """A peer UAC that asks to refresh itself (refresher=uac) gets it, and the timers
    of both ends agree on who refreshes."""
    request = invite(("Supported", "timer"), ("Session-Expires", "1800;refresher=uac"))
    answer, ours = uas_answer(request, DEFAULT)
    theirs = uac_timer(response(200, *answer), DEFAULT)
    assert ours is not None and theirs is not None
    assert (ours.we_refresh, theirs.we_refresh) == (False, True)
    assert ours.interval == theirs.interval == 1800
