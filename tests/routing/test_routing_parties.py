"""Reading called, calling and privacy from INVITEs as Telekom, Teams and a PBX send them."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sbc.config import Config
from sbc.routing import CallParty, RouteError, parties_of
from sbc.routing.numbers import is_number
from sbc.sip import SipPeerError, parse_uri

from .conftest import config_of, conn, invite

TK = "sip-trunk.telekom.de"


@pytest.mark.parametrize(
    ("source", "ruri", "from_", "extra", "expected"),
    [
        # Telekom in E.164, the usual case.
        (
            "Telekom",
            "sip:+4930123456789@sbc.example.com;user=phone",
            f"<sip:+4940111222@{TK};user=phone>;tag=1",
            (),
            CallParty("+4930123456789", "+4940111222", False),
        ),
        # National and international formats, visual separators, a tel: URI.
        (
            "Telekom",
            "sip:030123456789@sbc.example.com",
            f"<sip:040111222@{TK}>;tag=1",
            (),
            CallParty("+4930123456789", "+4940111222", False),
        ),
        (
            "Telekom",
            "sip:0049-30-123456789@sbc.example.com",
            f"<sip:0044207123456@{TK}>;tag=1",
            (),
            CallParty("+4930123456789", "+44207123456", False),
        ),
        (
            "Telekom",
            "tel:+49-30-123456789",
            "<tel:+49-40-111222>;tag=1",
            (),
            CallParty("+4930123456789", "+4940111222", False),
        ),
        (
            "Telekom",
            "sip:+49%2030%20123456789@sbc.example.com",
            "<tel:040111222>;tag=1",
            (),
            CallParty("+4930123456789", "+4940111222", False),
        ),
        # A user part with parameters (RFC 3966 in a SIP URI).
        (
            "Telekom",
            "sip:+4930123456789;isub=1@sbc.example.com;user=phone",
            f"<sip:+4940111222@{TK}>;tag=1",
            (),
            CallParty("+4930123456789", "+4940111222", False),
        ),
        # P-Asserted-Identity wins over From; a broken or numberless one is skipped.
        (
            "Telekom",
            "sip:+4930123456789@sbc.example.com",
            f"<sip:+4940999@{TK}>;tag=1",
            (("P-Asserted-Identity", "<sip:+4940111222@telekom.de;user=phone>"),),
            CallParty("+4930123456789", "+4940111222", False),
        ),
        (
            "Telekom",
            "sip:+4930123456789@sbc.example.com",
            f"<sip:+494099999@{TK}>;tag=1",
            (("P-Asserted-Identity", "<sip:bob@x>, <tel:+4940111222>"),),
            CallParty("+4930123456789", "+4940111222", False),
        ),
        (
            "Telekom",
            "sip:+4930123456789@sbc.example.com",
            f"<sip:+494099999@{TK}>;tag=1",
            (("P-Asserted-Identity", "<garbage"),),
            CallParty("+4930123456789", "+494099999", False),
        ),
        # Withheld: anonymous From, with and without the asserted number behind it.
        (
            "Telekom",
            "sip:+4930123456789@sbc.example.com",
            '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=1',
            (("P-Asserted-Identity", "<sip:+4940111222@telekom.de>"), ("Privacy", "id")),
            CallParty("+4930123456789", "+4940111222", True),
        ),
        (
            "Telekom",
            "sip:+4930123456789@sbc.example.com",
            "<sip:anonymous@anonymous.invalid>;tag=1",
            (),
            CallParty("+4930123456789", None, True),
        ),
        (
            "Telekom",
            "sip:+4930123456789@sbc.example.com",
            f"<sip:restricted@{TK}>;tag=1",
            (),
            CallParty("+4930123456789", None, True),
        ),
        # A number with Privacy asking to hide it; 'none' and 'session' do not.
        (
            "Telekom",
            "sip:+4930123456789@sbc.example.com",
            f"<sip:+4940111222@{TK}>;tag=1",
            (("Privacy", "header; id"),),
            CallParty("+4930123456789", "+4940111222", True),
        ),
        (
            "Telekom",
            "sip:+4930123456789@sbc.example.com",
            f"<sip:+4940111222@{TK}>;tag=1",
            (("Privacy", "none"),),
            CallParty("+4930123456789", "+4940111222", False),
        ),
        (
            "Telekom",
            "sip:+4930123456789@sbc.example.com",
            f"<sip:+4940111222@{TK}>;tag=1",
            (("Privacy", "session"),),
            CallParty("+4930123456789", "+4940111222", False),
        ),
        # No number to show, but nothing withheld either.
        (
            "Telekom",
            "sip:+4930123456789@sbc.example.com",
            f"<sip:unknown@{TK}>;tag=1",
            (),
            CallParty("+4930123456789", None, False),
        ),
        (
            "Telekom",
            "sip:+4930123456789@sbc.example.com",
            f"<sip:{TK}>;tag=1",
            (),
            CallParty("+4930123456789", None, False),
        ),
        # Teams: always E.164 with user=phone; short codes stay as dialled.
        (
            "Teams1",
            "sip:+4940111222@sbc.example.com:5061;user=phone;transport=tls",
            "<sip:+4930123456789@sbc.example.com;user=phone>;tag=1",
            (),
            CallParty("+4940111222", "+4930123456789", False),
        ),
        (
            "Teams2",
            "sip:112@sbc.example.com:5061;user=phone;transport=tls",
            "<sip:+4930123456789@sbc.example.com;user=phone>;tag=1",
            (),
            CallParty("112", "+4930123456789", False),
        ),
        # A national PBX.
        (
            "Pbx",
            "sip:0401112223@192.0.2.10",
            "<sip:030123456789@192.0.2.20>;tag=1",
            (),
            CallParty("+49401112223", "+4930123456789", False),
        ),
    ],
)
def test_parties(
    config: Config,
    source: str,
    ruri: str,
    from_: str,
    extra: tuple[tuple[str, str], ...],
    expected: CallParty,
) -> None:
    assert parties_of(invite(ruri, from_, None, *extra), conn(config, source)) == expected


def test_registered_contact_takes_the_number_from_to(config: Config) -> None:
    """An INVITE to the Contact we registered names the dialled number in To."""
    request = invite(
        "sip:+4930123456780@sbc.example.com;transport=tcp",
        f"<sip:+4940111222@{TK}>;tag=1",
        f"<sip:+4930123456789@{TK};user=phone>",
    )
    assert parties_of(request, conn(config, "Telekom")).called == "+4930123456789"
    main = invite("sip:+4930123456780@sbc.example.com", f"<sip:+4940111222@{TK}>;tag=1")
    assert parties_of(main, conn(config, "Telekom")).called == "+4930123456780"
    # Only the registered trunk gets that reading; Teams' Request-URI is the number.
    other_to = invite(
        "sip:+4930123456780@sbc.example.com", "<sip:+4940111222@x>;tag=1", "<sip:+4999999@x>"
    )
    assert parties_of(other_to, conn(config, "Teams1")).called == "+4930123456780"


@pytest.mark.parametrize(
    ("ruri", "from_", "status", "reason"),
    [
        ("sip:sbc.example.com", "<sip:+4940111222@x>;tag=1", 484, "no called number"),
        (
            "sip:alice@sbc.example.com",
            "<sip:+4940111222@x>;tag=1",
            484,
            "called number 'alice' is not a phone number",
        ),
        (
            "sip:+49301234567890123@sbc.example.com",
            "<sip:+4940111222@x>;tag=1",
            484,
            "more than 15 digits",
        ),
        ("urn:service:sos", "<sip:+4940111222@x>;tag=1", 416, "cannot route a urn:"),
        (
            "sip:+4930123456789@sbc.example.com",
            "<sip:alice@pbx.example.com>;tag=1",
            400,
            "calling number 'alice' is not a phone number",
        ),
        ("sip:+4930123456789@sbc.example.com", "<sip:+4940111222@x", 400, "bad From"),
    ],
)
def test_bad_numbers(config: Config, ruri: str, from_: str, status: int, reason: str) -> None:
    with pytest.raises(RouteError) as info:
        parties_of(invite(ruri, from_), conn(config, "Telekom"))
    assert info.value.status == status
    assert reason in info.value.reason


_TEXT = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"),
    max_size=60,
)
_USER = st.text(alphabet="0123456789+-.()*#%20abc;=@", min_size=1, max_size=30)
_CONFIG = config_of()


@given(user=_USER, from_=_TEXT, to=_TEXT, pai=_TEXT, privacy=_TEXT)
def test_any_invite_gives_parties_or_a_route_error(
    user: str, from_: str, to: str, pai: str, privacy: str
) -> None:
    """Whatever a peer writes into these headers: a CallParty or a RouteError, nothing else."""
    try:
        ruri = str(parse_uri(f"sip:{user}@sbc.example.com"))
    except SipPeerError:
        assume(False)
    extra = (("P-Asserted-Identity", pai), ("Privacy", privacy))
    request = invite(ruri, from_, to or "<sip:x@y>", *extra)
    for source in ("Telekom", "Teams1", "Pbx"):
        try:
            party = parties_of(request, conn(_CONFIG, source))
        except RouteError as err:
            assert err.status in (400, 416, 484) and err.reason
        else:
            assert is_number(party.called)
            assert party.calling is None or is_number(party.calling)
