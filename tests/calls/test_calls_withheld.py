"""Withheld numbers through the real SBC (issue 11, item 3; RFC 3323 §4-5, RFC 3325
§5/§7). The number may leave the SBC only in the identity header the target's profile
trusts (Telekom: P-Preferred-Identity; Teams: none), next to `Privacy: id`; every
header of every message each side got is searched for it, the Request-URI too.
"""

from __future__ import annotations

import pytest

from .checks import addr_uri
from .lab import PSTN_CALLER, TEAMS_USER, CallLab, Peer
from .sipmsg import SipMessage

pytestmark = pytest.mark.peers


def _digits(number: str) -> str:
    """The number without +49 / 0: found in E.164, national and 0049 forms alike."""
    assert number.startswith("+49")
    return number[3:]


def _leaks(msg: SipMessage, digits: str, allowed: frozenset[str]) -> list[str]:
    found = [f"{name}: {value}" for name, value in msg.headers
             if digits in value and name.lower() not in allowed]
    if msg.is_request and digits in msg.uri:
        found.append(f"Request-URI {msg.uri}")
    return found


def _assert_withheld(peer: Peer, digits: str, allowed: frozenset[str] = frozenset()) -> None:
    got = peer.received("INVITE") + [m for m in peer.messages()
                                     if m.direction == "received" and m.method != "INVITE"]
    assert got, peer.lab.context(peer)
    for msg in got:
        assert not _leaks(msg, digits, allowed), f"{peer.name} got the number\n{msg}"
        if any(msg.has(name) for name in allowed):
            assert msg.header("Privacy") == "id", f"the number unmarked\n{msg}"


def test_carrier_caller_withheld_reaches_teams_without_the_number(lab: CallLab) -> None:
    registrar = lab.registrar()
    lab.start()
    lab.wait_registered()
    teams = lab.teams_uas(1, "teams_answer.xml")
    carrier = lab.carrier_uac("carrier_withheld.xml")
    lab.check(carrier, teams, registrar)

    invite = teams.one("INVITE")
    assert addr_uri(invite.header("From") or "").user == "anonymous", invite
    assert invite.header("Privacy") == "id", invite
    assert addr_uri(invite.header("Contact") or "").user is None, invite
    _assert_withheld(teams, _digits(PSTN_CALLER))  # Teams' profile: no identity header
    _assert_withheld(carrier, _digits(PSTN_CALLER))


def test_teams_caller_withheld_reaches_the_carrier_only_in_its_identity_header(
        lab: CallLab) -> None:
    carrier = lab.carrier_uas()
    lab.start()
    lab.wait_registered()
    teams = lab.teams_uac("teams_withheld.xml")
    lab.check(teams, carrier)

    invite = carrier.one("INVITE")
    assert addr_uri(invite.header("From") or "").user == "anonymous", invite
    assert addr_uri(invite.header("P-Preferred-Identity") or "").user == TEAMS_USER, invite
    assert invite.header("Privacy") == "id", invite
    _assert_withheld(carrier, _digits(TEAMS_USER), frozenset({"p-preferred-identity"}))
    _assert_withheld(teams, _digits(TEAMS_USER))
