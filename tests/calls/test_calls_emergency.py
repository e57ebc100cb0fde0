"""Emergency calls with location through the real SBC and rtpengine (issue 11, item 2).

"Teams" (SIPp over mutual TLS) calls 112 with a multipart/mixed body, SDP plus a PIDF-LO
civic address (RFC 5621, RFC 6442), Geolocation and Geolocation-Routing, its caller's
number withheld. The Telekom SIPp must get the call, not a 415 to Teams: with
`location: pass` the same multipart with rtpengine's SDP in place of Teams' and both
headers; with the profile's default (`drop`) the plain SDP and neither header. Either
way the Request-URI is 112, From is anonymous and P-Preferred-Identity is the line
number. With calls.max_calls reached by an ordinary call the emergency call is still
taken, while another ordinary call gets 503.
"""

from __future__ import annotations

import pytest
from peers.sbcproc import LINE
from sbc.sip import parse_multipart
from sbc.sip.fields import parse_media_type

from .checks import addr_uri
from .lab import TEAMS_USER, CallLab
from .sipmsg import SipMessage

pytestmark = pytest.mark.peers

CIVIC = "<ca:RD>Unter den Linden</ca:RD>"


def emergency_call(lab: CallLab, **config: object) -> SipMessage:
    """Teams calls 112 and hangs up; the INVITE the carrier got."""
    carrier = lab.carrier_uas()
    lab.start(**config)  # type: ignore[arg-type]
    lab.wait_registered()
    teams = lab.teams_uac("teams_emergency.xml", called="112")
    lab.check(teams, carrier)
    assert teams.received(200, "INVITE"), lab.context(teams)
    assert not teams.received(415), lab.context(teams)
    invite = carrier.one("INVITE")
    assert invite.uri.startswith("sip:112@"), invite
    assert addr_uri(invite.header("From") or "").user == "anonymous", invite
    assert addr_uri(invite.header("P-Preferred-Identity") or "").user == LINE, invite
    assert invite.header("Privacy") == "id", invite
    assert TEAMS_USER[3:] not in "".join(v for _, v in invite.headers), invite
    return invite


def _relay_sdp(sdp: str) -> None:
    """rtpengine's SDP toward Telekom: plain RTP, no key, no ICE of Teams'."""
    assert "RTP/AVP" in sdp and "a=crypto" not in sdp and "ice-ufrag" not in sdp, sdp


def test_location_passed_on_to_the_carrier(lab: CallLab) -> None:
    invite = emergency_call(lab, carrier_settings="    location: pass\n")
    ctype = invite.header("Content-Type") or ""
    assert ctype.startswith("multipart/mixed"), invite
    assert invite.header("Geolocation") == (
        "<cid:emergency-location-1@teams.microsoft.com>"), invite
    assert invite.header("Geolocation-Routing") == "no", invite
    body = parse_multipart(invite.body.encode(), parse_media_type(ctype))
    types = [p.content_type.essence for p in body.parts]
    assert types == ["application/sdp", "application/pidf+xml"], invite
    _relay_sdp(body.parts[0].body.decode())
    assert CIVIC.encode() in body.parts[1].body
    assert body.parts[1].content_id == "emergency-location-1@teams.microsoft.com"
    assert "EMERGENCY call to 112" in lab.sbc.output()  # type: ignore[union-attr]
    assert "location passed" in lab.sbc.output()  # type: ignore[union-attr]


def test_location_dropped_by_the_telekom_default(lab: CallLab) -> None:
    invite = emergency_call(lab)
    assert invite.header("Content-Type") == "application/sdp", invite
    assert not invite.has("Geolocation") and not invite.has("Geolocation-Routing"), invite
    assert "pidf" not in invite.body and CIVIC not in invite.body, invite
    _relay_sdp(invite.body)
    assert "location dropped" in lab.sbc.output()  # type: ignore[union-attr]


def test_emergency_call_taken_while_max_calls_is_reached(lab: CallLab) -> None:
    carrier = lab.carrier_uas(calls=3)  # REGISTER, the ordinary call, the emergency call
    lab.start(max_calls=1)
    lab.wait_registered()
    ordinary = lab.teams_uac("teams_call.xml", name="teams_ordinary", hold_ms=4000)
    carrier.wait_received("INVITE")
    lab.wait_for(lambda: ordinary.received(200, "INVITE"), "the ordinary call answered")
    emergency = lab.teams_uac("teams_emergency.xml", name="teams_emergency", called="112",
                              hold_ms=1500)
    lab.wait_for(lambda: emergency.received(200, "INVITE"), "the emergency call answered")
    refused = lab.teams_uac("teams_call_503.xml", name="teams_refused")
    lab.check(refused, emergency, ordinary, carrier)
    uris = [m.uri for m in carrier.received("INVITE")]
    assert len(uris) == 2 and uris[1].startswith("sip:112@"), uris
    output = lab.sbc.output()  # type: ignore[union-attr]
    assert "emergency call to 112 from Teams" in output and "taken over calls.max_calls" in output
