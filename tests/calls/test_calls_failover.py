"""Carrier calls to Teams when Teams1 does not take them: the SBC's failover to Teams2
(503, refused connection, silence, OPTIONS down), but never after 603; and RFC 4028's
422 answered by asking Teams1 again with its Min-SE.
"""

from __future__ import annotations

import pytest

from .checks import parse_uri
from .lab import CallLab, Peer

pytestmark = pytest.mark.peers


def _lands_on_teams2(lab: CallLab, teams2: Peer, carrier: Peer) -> None:
    invite = teams2.one("INVITE")
    assert parse_uri(invite.uri).host == "sip2.pstnhub.microsoft.com", invite
    assert carrier.one(200, "INVITE") and teams2.one("ACK") and teams2.one("BYE")


def test_503_from_teams1_fails_over_to_teams2(lab: CallLab) -> None:
    registrar = lab.registrar()
    lab.start()
    lab.wait_registered()
    teams1 = lab.teams_uas(1, "teams_reject.xml", code=503)
    teams2 = lab.teams_uas(2, "teams_answer.xml")
    carrier = lab.carrier_uac("carrier_call.xml")
    lab.check(carrier, teams1, teams2, registrar)  # teams1 got the ACK of its 503
    _lands_on_teams2(lab, teams2, carrier)
    assert not carrier.received(503), "the carrier saw Teams1's 503"


def test_603_from_teams1_is_final(lab: CallLab) -> None:
    """AT-13: a declined call is not offered elsewhere (duplicate missed calls)."""
    registrar = lab.registrar()
    lab.start()
    lab.wait_registered()
    teams1 = lab.teams_uas(1, "teams_reject.xml", code=603)
    teams2 = lab.teams_uas(2, "teams_answer.xml", timeout=2)
    carrier = lab.carrier_uac("carrier_rejected.xml")
    lab.check(carrier, teams1, registrar)
    assert teams2.wait() != 0, "Teams2's SIPp should have timed out without a call"
    assert not teams2.received("INVITE"), lab.context(teams2)
    relay2 = lab.teams[2].relay
    assert relay2 is not None and not relay2.handshakes, "the SBC connected to Teams2"


def test_teams1_refusing_connections_fails_over_to_teams2(lab: CallLab) -> None:
    registrar = lab.registrar()
    lab.start(teams_listening=(2, 3))  # Teams1's port: connection refused
    lab.wait_registered()
    teams2 = lab.teams_uas(2, "teams_answer.xml")
    carrier = lab.carrier_uac("carrier_call.xml")
    lab.check(carrier, teams2, registrar)
    _lands_on_teams2(lab, teams2, carrier)


def test_silent_teams1_is_given_up_after_failover_timeout(lab: CallLab) -> None:
    registrar = lab.registrar()
    lab.start(failover_timeout=2)
    lab.wait_registered()
    teams1 = lab.teams_uas(1, "teams_silent.xml")
    teams2 = lab.teams_uas(2, "teams_answer.xml")
    carrier = lab.carrier_uac("carrier_call.xml")
    lab.check(carrier, teams1, teams2, registrar)
    _lands_on_teams2(lab, teams2, carrier)
    waited = teams2.one("INVITE").at - teams1.one("INVITE").at
    assert 1.8 <= waited <= 3.5, f"Teams2 got the INVITE {waited:.2f} s after Teams1 (want ~2)"
    # RFC 3261 9.1: without a provisional response there is nothing to CANCEL yet
    assert not teams1.received("CANCEL"), teams1.received("CANCEL")


def test_skips_teams1_whose_options_fail(lab: CallLab) -> None:
    teams1 = lab.teams_uas(1, "peer_down.xml")  # OPTIONS -> 503
    teams2 = lab.teams_uas(2, "teams_answer.xml", calls=2)  # OPTIONS -> 200, the call
    registrar = lab.registrar()
    sbc = lab.start(teams_options=True, teams_listening=(1, 2))
    lab.wait_registered()
    lab.wait_for(lambda: sbc.connection("Teams1")["options_out"]["state"] == "down"
                 and sbc.connection("Teams2")["options_out"]["state"] == "up",
                 "Teams1 down and Teams2 up by OPTIONS")
    carrier = lab.carrier_uac("carrier_call.xml")
    lab.check(carrier, teams1, teams2, registrar)
    _lands_on_teams2(lab, teams2, carrier)
    relay1 = lab.teams[1].relay
    assert relay1 is not None
    inbound = [h for h in relay1.handshakes if h.direction == "in"]
    assert len(inbound) == 1, f"Teams1 was tried although down: {inbound}"


def test_422_from_teams1_is_retried_with_its_min_se(lab: CallLab) -> None:
    registrar = lab.registrar()
    lab.start()
    lab.wait_registered()
    teams1 = lab.teams_uas(1, "teams_answer.xml", min_se=1900)
    carrier = lab.carrier_uac("carrier_call.xml")
    lab.check(carrier, teams1, registrar)
    first, second = teams1.received("INVITE")
    assert teams1.received("ACK")[0].cseq_number == first.cseq_number, "422 not ACKed"
    # RFC 4028 6: the retry carries Session-Expires >= the Min-SE and that Min-SE
    assert int((second.header("Session-Expires") or "0").split(";")[0]) == 1900, second
    assert int((second.header("Min-SE") or "0").split(";")[0]) == 1900, second
    assert second.header("Call-ID") == first.header("Call-ID"), second
    assert second.cseq_number > first.cseq_number, second
    assert carrier.one(200, "INVITE") and not carrier.received(422)
