"""Calls from Teams (TLS, through the relay) to the carrier (Telekom, TCP) through the SBC.

Teams sends +E.164 numbers and SRTP/ICE SDP; the carrier must get its own number format,
the company number as caller with P-Preferred-Identity (Telekom's identity: ppi), plain
RTP without ICE, and digest credentials when it challenges. Mid-call: hold/resume and
session refreshes from Teams. Carrier unreachable: Teams gets 503 at once.
"""

from __future__ import annotations

import hashlib
import re
import time

import pytest
from peers.sbcproc import AUTH_USER, FQDN, PASSWORD

from .checks import (
    addr_uri,
    assert_no_ms_candidates,
    assert_plain_rtp,
    assert_sdes,
    parse_uri,
    sdp_direction,
    tag,
    top_via,
)
from .lab import PSTN_CALLED, TEAMS_USER, CallLab
from .sipmsg import SipMessage

pytestmark = pytest.mark.peers


def _digest_params(value: str) -> dict[str, str]:
    assert value.lower().startswith("digest "), value
    return {k.lower(): v1 or v2 for k, v1, v2 in
            re.findall(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))', value[7:])}


def _check_digest(invite: SipMessage, challenge: SipMessage) -> None:
    """RFC 2617 3.2.2 / RFC 3261 22.3: Proxy-Authorization answers the 407's challenge
    for the configured auth user and password."""
    offered = _digest_params(challenge.header("Proxy-Authenticate") or "")
    header = invite.header("Proxy-Authorization")
    assert header, f"no Proxy-Authorization after the 407\n{invite}"
    got = _digest_params(header)
    assert got.get("username") == AUTH_USER, header
    assert got.get("realm") == offered["realm"] and got.get("nonce") == offered["nonce"], header
    assert got.get("uri") == invite.uri, f"uri {got.get('uri')} != Request-URI {invite.uri}"
    ha1 = hashlib.md5(f"{AUTH_USER}:{offered['realm']}:{PASSWORD}".encode()).hexdigest()
    ha2 = hashlib.md5(f"INVITE:{got['uri']}".encode()).hexdigest()
    assert got.get("qop") == "auth" and got.get("cnonce") and got.get("nc"), header
    want = hashlib.md5(f"{ha1}:{offered['nonce']}:{got['nc']}:{got['cnonce']}:auth:{ha2}"
                       .encode()).hexdigest()
    assert got.get("response") == want, f"digest response wrong for {AUTH_USER}\n{header}"


def test_teams_call_reaches_carrier_with_digest(lab: CallLab) -> None:
    carrier = lab.carrier_uas(challenge=1)
    lab.start()
    lab.wait_registered()
    teams = lab.teams_uac("teams_call.xml")
    lab.check(teams, carrier)

    first, second = carrier.received("INVITE")
    challenge = carrier.sent(407)[0]
    acks = carrier.received("ACK")
    assert acks and acks[0].cseq_number == first.cseq_number, "the 407 was not ACKed"
    _check_digest(second, challenge)
    # RFC 3261 8.1.3.5: the retry is the same call with a higher CSeq
    assert second.header("Call-ID") == first.header("Call-ID"), second
    assert tag(second.header("From")) == tag(first.header("From")), second
    assert second.cseq_number > first.cseq_number, second

    teams_invite = teams.sent("INVITE")[0]
    for invite in (first, second):
        ruri = parse_uri(invite.uri)
        assert ruri.user == PSTN_CALLED, f"carrier format is E.164\n{invite}"
        assert addr_uri(invite.header("To") or "").user == PSTN_CALLED, invite
        sender = addr_uri(invite.header("From") or "")
        assert (sender.user, sender.host) == (TEAMS_USER, "sip-trunk.telekom.de"), invite
        ppi = invite.header("P-Preferred-Identity")
        assert ppi and addr_uri(ppi).user == TEAMS_USER, f"want P-Preferred-Identity\n{invite}"
        assert not invite.has("P-Asserted-Identity"), invite
        assert top_via(invite)[0] == "TCP", invite
        contact = addr_uri(invite.header("Contact") or "")
        assert contact.host == FQDN and contact.params.get("transport") == "tcp", invite
        assert invite.header("Call-ID") != teams_invite.header("Call-ID"), invite
        assert_plain_rtp(invite)

    # Teams: ringing, then the answer as SDES-SRTP from the SBC's FQDN
    assert teams.received(180), lab.context(teams)
    ok = teams.one(200, "INVITE")
    assert_sdes(ok)
    contact = addr_uri(ok.header("Contact") or "")
    assert (contact.host, contact.port, contact.params.get("transport")) == (
        FQDN, lab.ports.tls, "tls"), ok
    assert ok.header("X-MS-SBC"), f"X-MS-SBC on responses to Teams too\n{ok}"
    assert carrier.one("BYE") and teams.one(200, "BYE")
    for invite in (first, second):
        assert_no_ms_candidates(invite)


def test_hold_and_resume_from_teams(lab: CallLab) -> None:
    carrier = lab.carrier_uas()
    lab.start()
    lab.wait_registered()
    teams = lab.teams_uac("teams_call.xml", hold=1)
    lab.check(teams, carrier)

    invites = carrier.received("INVITE")
    assert len(invites) == 3, f"want the call and two re-INVITEs at the carrier\n{lab.context()}"
    hold, resume = invites[1], invites[2]
    assert tag(hold.header("To")), f"the re-INVITE is in the dialog\n{hold}"
    assert sdp_direction(hold) == "sendonly", hold
    assert sdp_direction(resume) == "sendrecv", resume
    for msg in (hold, resume):
        assert_plain_rtp(msg)
    answers = teams.received(200, "INVITE")
    assert [sdp_direction(m) for m in answers] == ["sendrecv", "recvonly", "sendrecv"], answers
    for msg in answers:
        assert_sdes(msg)
    for msg in invites:
        assert_no_ms_candidates(msg)


def test_session_refresh_from_teams(lab: CallLab) -> None:
    carrier = lab.carrier_uas()
    lab.start()
    lab.wait_registered()
    teams = lab.teams_uac("teams_call.xml", refresh=1)
    lab.check(teams, carrier)

    answers = teams.received(200, "INVITE")
    assert len(answers) == 2, answers
    assert_sdes(answers[1])  # RFC 3264: the re-INVITE's offer gets an answer
    assert sdp_direction(answers[1]) == "sendrecv", answers[1]
    assert teams.one(200, "UPDATE")
    assert carrier.one("BYE"), "the call stayed up until the BYE"


@pytest.mark.parametrize("down", ["refused", "options-503"])
def test_carrier_down_gives_teams_503(lab: CallLab, down: str) -> None:
    if down == "options-503":
        carrier = lab.carrier_uas("peer_down.xml")
        lab.start(carrier_options=True)
        assert lab.sbc is not None
        sbc = lab.sbc
        # the first OPTIONS goes out at start; one 503 is enough for "down"
        lab.wait_for(lambda: sbc.connection("Telekom")["options_out"]["state"] == "down",
                     "the carrier's OPTIONS status down")
    else:
        carrier = None
        lab.start()  # nothing listens at the carrier's address
    started = time.monotonic()
    teams = lab.teams_uac("teams_call_503.xml")
    lab.check(teams)
    elapsed = time.monotonic() - started
    assert elapsed < 3.0, f"Teams waited {elapsed:.1f} s for the 503\n{lab.context(teams)}"
    if carrier is not None:
        lab.check(carrier)
        assert not carrier.received("INVITE"), "a carrier marked down got the call"
