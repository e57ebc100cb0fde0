"""Calls from the carrier (Telekom, TCP) to Teams (TLS) through the real SBC.

The carrier sends the called number in national format (030...) with plain RTP/AVP SDP;
Teams1 must get an INVITE as Microsoft asks for it (+E.164 with user=phone, the SBC's
FQDN in From/Contact/Via, a new Call-ID, X-MS-SBC, SDES-SRTP with rtcp-mux, a session
timer), and the answers come back to the carrier as plain RTP.
"""

from __future__ import annotations

import pytest
from peers.sbcproc import FQDN

from .checks import (
    addr_uri,
    assert_plain_rtp,
    assert_sdes,
    parse_uri,
    tag,
    top_via,
    via_branch,
)
from .lab import PSTN_CALLER, TEAMS_USER, CallLab

pytestmark = pytest.mark.peers


@pytest.mark.parametrize("hangs_up", ["carrier", "teams"])
def test_carrier_call_answered_by_teams1(lab: CallLab, hangs_up: str) -> None:
    teams_hangs_up = hangs_up == "teams"
    registrar = lab.registrar()
    lab.start()
    lab.wait_registered()
    teams = lab.teams_uas(1, "teams_answer.xml", hangup=int(teams_hangs_up))
    carrier = lab.carrier_uac("carrier_call.xml", hangup=int(teams_hangs_up))
    lab.check(carrier, teams, registrar)

    # --- what Teams1 got ---
    invite = teams.one("INVITE")
    ruri = parse_uri(invite.uri)
    assert (ruri.user, ruri.host, ruri.port) == (TEAMS_USER, "sip.pstnhub.microsoft.com", 5061), \
        invite
    assert ruri.params.get("user") == "phone" and ruri.params.get("transport") == "tls", invite
    to = invite.header("To") or ""
    assert (addr_uri(to).user, addr_uri(to).host) == (TEAMS_USER, "sip.pstnhub.microsoft.com")
    assert addr_uri(to).params.get("user") == "phone" and tag(to) is None, invite
    sender = invite.header("From") or ""
    assert (addr_uri(sender).user, addr_uri(sender).host) == (PSTN_CALLER, FQDN), invite
    assert addr_uri(sender).params.get("user") == "phone" and tag(sender), invite
    contact = addr_uri(invite.header("Contact") or "")
    assert (contact.host, contact.port) == (FQDN, lab.ports.tls), invite
    assert contact.params.get("transport") == "tls", invite
    assert len(invite.all("Via")) == 1, invite
    assert top_via(invite) == ("TLS", FQDN, lab.ports.tls), invite
    carrier_invite = carrier.sent("INVITE")[0]
    assert invite.header("Call-ID") != carrier_invite.header("Call-ID"), invite
    assert invite.header("X-MS-SBC"), invite
    assert invite.header("Session-Expires"), invite
    assert int((invite.header("Session-Expires") or "0").split(";")[0]) == 1800, invite
    assert_sdes(invite)

    # --- what the carrier got back ---
    assert [m.status for m in carrier.received(100) + carrier.received(180)] == [100, 180]
    early, final = carrier.one(183), carrier.one(200, "INVITE")
    assert_plain_rtp(early)
    assert_plain_rtp(final)
    assert not [line for line in final.sdp_lines() if line == "a=rtcp-mux"], final
    tags = {tag(m.header("To")) for m in (carrier.one(180), early, final)}
    assert len(tags) == 1 and None not in tags, f"To-tags {tags}\n{lab.context(carrier)}"

    # --- the end of the call reached the other side ---
    if teams_hangs_up:
        assert carrier.one("BYE") and teams.one(200, "BYE")
    else:
        assert teams.one("BYE") and carrier.one(200, "BYE")
    assert teams.one("ACK")


def test_carrier_cancels_while_teams_rings(lab: CallLab) -> None:
    registrar = lab.registrar()
    lab.start()
    lab.wait_registered()
    teams = lab.teams_uas(1, "teams_cancel.xml")
    carrier = lab.carrier_uac("carrier_cancel.xml")
    # SIPp checks the order: carrier 100, 180, (CANCEL) 200 for the CANCEL, 487, and no
    # late message; Teams 180, then CANCEL, 200 + 487, then the ACK of the 487.
    lab.check(carrier, teams, registrar)

    invite, cancel, ack = teams.one("INVITE"), teams.one("CANCEL"), teams.one("ACK")
    # RFC 3261 9.1: the CANCEL has the INVITE's Request-URI, Call-ID, From, CSeq number and
    # top Via branch; 17.1.1.3: so has the ACK of the 487 (with the 487's To-tag).
    for msg in (cancel, ack):
        assert msg.uri == invite.uri, msg
        assert msg.header("Call-ID") == invite.header("Call-ID"), msg
        assert msg.header("From") == invite.header("From"), msg
        assert msg.cseq_number == invite.cseq_number, msg
        assert top_via(msg) == top_via(invite), msg
        assert via_branch(msg) == via_branch(invite), msg
    assert tag(ack.header("To")) == tag(teams.sent(487)[0].header("To")), ack
    assert not teams.received("BYE") and not carrier.received("BYE")
