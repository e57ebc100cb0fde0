"""End to end media: RTP from the carrier reaches Teams as SRTP and back, through the SBC's
rtpengine, with SIPp doing the signalling and the test's own UDP sockets in the SDP.

The carrier's socket sends plain RTP to the port in the SBC's 200 OK; the Teams socket
decrypts what arrives with the key the SBC put in its INVITE to Teams (a=crypto), and
encrypts its own packets with the key the test put in Teams' answer.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest
from media import rtp

from .checks import assert_sdes, sdp_media
from .lab import CallLab

pytestmark = pytest.mark.peers

PACKETS = 5


def _is_rtcp(packet: bytes) -> bool:
    return len(packet) > 1 and 192 <= packet[1] <= 223  # RFC 5761 4: PT 64-95 with M bit


def _send(endpoint: rtp.Endpoint, port: int, payloads: list[bytes], ssrc: int,
          protect: Callable[[bytes], bytes] = bytes) -> None:
    for seq, payload in enumerate(payloads, start=1):
        endpoint.send(protect(rtp.rtp_packet(seq, payload, ssrc=ssrc)), port)
        time.sleep(0.02)  # a packet per 20 ms, as a phone sends them


def _received(endpoint: rtp.Endpoint, want: int,
              unprotect: Callable[[bytes], bytes] = bytes) -> list[bytes]:
    """The payloads of the first `want` RTP packets, in sequence number order (rtpengine's
    userspace threads may reorder); RTCP is skipped."""
    packets: dict[int, bytes] = {}
    while len(packets) < want:
        try:
            packet = endpoint.recv(timeout=2.0)
        except TimeoutError:
            break
        if not _is_rtcp(packet):
            plain = unprotect(packet)
            packets[int.from_bytes(plain[2:4], "big")] = rtp.payload_of(plain)
    return [packets[seq] for seq in sorted(packets)]


def test_rtp_from_carrier_arrives_at_teams_as_srtp_and_back(lab: CallLab) -> None:
    carrier_ep, teams_ep = rtp.Endpoint(), rtp.Endpoint()
    teams_key = rtp.new_key()
    try:
        registrar = lab.registrar()
        lab.start()
        lab.wait_registered()
        teams = lab.teams_uas(1, "teams_answer.xml", rtp_port=teams_ep.port,
                              key=rtp.inline(teams_key))
        carrier = lab.carrier_uac("carrier_call.xml", rtp_port=carrier_ep.port, hold_ms=2000)

        invite = teams.wait_received("INVITE")
        sbc_teams_port, _ = sdp_media(invite)
        sbc_key = rtp.crypto_key(invite.sdp())
        assert rtp.inline(sbc_key).rstrip("=") == assert_sdes(invite).rstrip("=")
        ok = carrier.wait_received(200, "INVITE")
        sbc_carrier_port, _ = sdp_media(ok)

        # carrier -> Teams: plain RTP in, SRTP out with the SBC's key
        sent = [os.urandom(160) for _ in range(PACKETS)]
        _send(carrier_ep, sbc_carrier_port, sent, 0x11111111)
        got = _received(teams_ep, PACKETS, rtp.srtp(sbc_key, outbound=False).unprotect)
        assert got == sent, (f"Teams got {len(got)} of {PACKETS} packets, "
                             f"{sum(a == b for a, b in zip(got, sent, strict=False))} intact\n"
                             + lab.context(teams) + "\n" + lab.engine.log()[-3000:])

        # Teams -> carrier: SRTP in with Teams' key, plain RTP out
        sent = [os.urandom(160) for _ in range(PACKETS)]
        _send(teams_ep, sbc_teams_port, sent, 0x22222222,
              rtp.srtp(teams_key, outbound=True).protect)
        got = _received(carrier_ep, PACKETS)
        assert got == sent, (f"the carrier got {len(got)} of {PACKETS} packets, "
                             f"{sum(a == b for a, b in zip(got, sent, strict=False))} intact\n"
                             + lab.context(carrier) + "\n" + lab.engine.log()[-3000:])

        lab.check(carrier, teams, registrar)
    finally:
        carrier_ep.close()
        teams_ep.close()
