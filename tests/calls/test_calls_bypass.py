"""Media bypass end to end: the real SBC with `media_bypass: true` on Teams, SIPp for the
signalling (Teams behind the mutual-TLS relay), and the Teams endpoints' media from a
network namespace of their own (aioice, controlling, regular nomination; tests/calls/
bypass.py). rtpengine listens on the host side of the veth pair, the SBC's public IP.

SRTP is checked both ways: what the carrier sent is what the Teams endpoint decrypts
with the SBC's key, and what the endpoint encrypts with its key reaches the carrier as
the same RTP packet.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from media import rtp
from media.ice import ice_params
from media.rtpengine import Rtpengine

from .bypass import BypassNet, NetnsAgent
from .lab import CallLab

pytestmark = pytest.mark.peers

BYPASS_ON = "    media_bypass: true\n"


@pytest.fixture(scope="module")
def net() -> Iterator[BypassNet]:
    with BypassNet.create() as created:
        yield created


@pytest.fixture(scope="module")
def rtpengine(tmp_path_factory: pytest.TempPathFactory, net: BypassNet) -> Iterator[Rtpengine]:
    """This module's rtpengine (it overrides the session's): on the veth's host side."""
    engine = Rtpengine(tmp_path_factory.mktemp("rtpengine-bypass"), interface=net.sbc).start()
    try:
        yield engine
    finally:
        engine.stop()


def assert_ice_lite(sdp: bytes, public: str) -> list[str]:
    """Microsoft's rules for the SBC's SDP toward Teams with bypass; its ICE lines."""
    text = rtp.text(sdp)
    params = ice_params(sdp)
    assert params.lite, f"no a=ice-lite\n{text}"
    assert len(params.candidates) == 1, f"not exactly one candidate\n{text}"
    fields = params.candidates[0].split()
    assert fields[1] == "1" and fields[2].upper() == "UDP" and fields[7] == "host", text
    assert fields[4:6] == [public, str(rtp.port(sdp))], text
    assert rtp.connection(sdp) == {public} and rtp.proto(sdp) == "RTP/SAVP", text
    assert rtp.has(sdp, "a=rtcp-mux") and len(rtp.cryptos(sdp)) == 1, text
    return [line for line in rtp.lines(sdp)
            if line.startswith(("a=ice-", "a=candidate", "m=", "c="))]


def carrier_to_teams(carrier: rtp.Endpoint, sbc: str, port: int, agent: NetnsAgent,
                     key: bytes, seq0: int, count: int = 5) -> None:
    """`count` RTP packets from the carrier arrive at `agent`, decrypted intact."""
    sent = [os.urandom(160) for _ in range(count)]
    for n, payload in enumerate(sent):
        carrier.send(rtp.rtp_packet(seq0 + n, payload), port, sbc)
    session = rtp.srtp(key, outbound=False)
    plain = sorted((session.unprotect(p) for p in agent.recv(count)),
                   key=lambda packet: int.from_bytes(packet[2:4], "big"))
    got = [rtp.payload_of(packet) for packet in plain]  # rtpengine's threads may reorder
    assert got == sent, (f"the endpoint at {agent.address} got {len(got)} of {count}, "
                         f"{sum(a == b for a, b in zip(got, sent, strict=False))} intact")


def teams_to_carrier(carrier: rtp.Endpoint, agent: NetnsAgent, key: bytes, seq0: int,
                     count: int = 5) -> None:
    """`count` SRTP packets from `agent` reach the carrier as the same RTP packets."""
    session = rtp.srtp(key, outbound=True)
    packets = [rtp.rtp_packet(seq0 + n, os.urandom(160), ssrc=0x5EB0) for n in range(count)]
    agent.send([session.protect(p) for p in packets])
    got = []
    for _ in range(count):
        try:
            got.append(carrier.recv(2.0))
        except TimeoutError:
            break
    got.sort(key=lambda packet: int.from_bytes(packet[2:4], "big"))
    assert got == packets, f"the carrier got {len(got)} of {count} packets from {agent.address}"


def test_a_carrier_call_rings_two_teams_endpoints_and_the_one_that_answers_gets_the_media(
        lab: CallLab, net: BypassNet) -> None:
    """Bypass on: the SBC's INVITE is ICE-lite; the endpoint that only rings checks and
    nominates first, the answering one after; the media goes to the one that answered.
    Then bypass off by a reload of the running SBC: the next call has no ICE toward Teams
    and its media goes to the address in Teams' SDP (a media processor's)."""
    winner, loser = NetnsAgent(net, net.client), NetnsAgent(net, net.other)
    carrier_ep = rtp.Endpoint()
    key = rtp.new_key()
    try:
        lab.registrar()
        lab.start(public_ip=net.sbc, teams_settings=BYPASS_ON)
        lab.wait_registered()
        answering: dict[str, Any] = {"key": rtp.inline(key), "ring_ms": 2000,
                                     **winner.sipp_vars()}
        teams = lab.teams_uas(1, "teams_bypass_answer.xml", timeout=30.0, **answering)
        carrier = lab.carrier_uac("carrier_call.xml", rtp_port=carrier_ep.port,
                                  hold_ms=8000, timeout=30.0)
        invite = teams.wait_received("INVITE")
        offer = invite.sdp()
        assert_ice_lite(offer, net.sbc)
        sbc_key = rtp.crypto_key(offer)
        # the endpoint that only rings checks and nominates while it rings
        assert loser.connect(offer) == (net.sbc, rtp.port(offer))
        assert winner.connect(offer) == (net.sbc, rtp.port(offer))
        ok = carrier.wait_received(200, "INVITE", timeout=10.0)
        assert not rtp.has(ok.sdp(), "a=ice-") and not rtp.has(ok.sdp(), "a=candidate")
        sbc_port = rtp.port(ok.sdp())

        carrier_to_teams(carrier_ep, net.sbc, sbc_port, winner, sbc_key, 1)
        teams_to_carrier(carrier_ep, winner, key, 1)
        assert loser.recv(1, timeout=0.3) == [], "media went to the endpoint that did not answer"
        sbc = lab.sbc
        assert sbc is not None
        legs = lab.wait_for(lambda: [leg for call in sbc.status()["calls"]["active"]
                                     for leg in call["legs"]], "the call in the status")
        assert {leg["connection"]: leg["bypass"] for leg in legs} == {
            "Telekom": False, "Teams1": True}
        lab.check(carrier, teams)

        # bypass off on the same running SBC: the next call goes the media-processor way
        sbc.config.write_text(lab.config(public_ip=net.sbc))
        sbc.signal(signal.SIGHUP)
        lab.wait_for(lambda: "config reloaded" in sbc.output(), "the reload with bypass off")
        processor_ep = rtp.Endpoint()
        try:
            teams = lab.teams_uas(1, "teams_answer.xml", name="teams1-off",
                                  rtp_port=processor_ep.port, key=rtp.inline(key))
            carrier = lab.carrier_uac("carrier_call.xml", name="carrier-off",
                                      rtp_port=carrier_ep.port, hold_ms=3000, timeout=20.0)
            offer = teams.wait_received("INVITE").sdp()
            assert not rtp.has(offer, "a=ice-") and not rtp.has(offer, "a=candidate"), \
                rtp.text(offer)
            sbc_port = rtp.port(carrier.wait_received(200, "INVITE").sdp())
            packet = rtp.rtp_packet(1, os.urandom(160))
            carrier_ep.send(packet, sbc_port, net.sbc)
            plain = rtp.srtp(rtp.crypto_key(offer), outbound=False).unprotect(
                processor_ep.recv(2.0))
            assert rtp.payload_of(plain) == rtp.payload_of(packet)
            lab.check(carrier, teams)
        finally:
            processor_ep.close()
    finally:
        for agent in (winner, loser):
            agent.close()
        carrier_ep.close()


def test_teams_calls_out_with_bypass_then_moves_the_call_to_a_media_processor(
        lab: CallLab, net: BypassNet) -> None:
    """The SBC answers ICE-lite (the same in 183 and 200); Teams' re-INVITE with a new
    ufrag/pwd from a media processor (an ICE restart) is answered by the SBC itself with
    new credentials, the carrier never sees it, and the media moves to the processor."""
    client, processor = NetnsAgent(net, net.client), NetnsAgent(net, net.other)
    carrier_ep = rtp.Endpoint()
    key = rtp.new_key()
    try:
        carrier = lab.carrier_uas("carrier_early.xml", rtp_port=carrier_ep.port, timeout=30.0)
        lab.start(public_ip=net.sbc, teams_settings=BYPASS_ON)
        lab.wait_registered()
        calling: dict[str, Any] = {"key": rtp.inline(key), "hold_ms": 5000,
                                   **client.sipp_vars(), **processor.sipp_vars("mp")}
        teams = lab.teams_uac("teams_bypass_call.xml", timeout=30.0, **calling)
        ok = teams.wait_received(200, "INVITE", timeout=10.0)
        early = teams.one(183)
        first = assert_ice_lite(ok.sdp(), net.sbc)
        assert assert_ice_lite(early.sdp(), net.sbc) == first, \
            "ufrag, pwd or candidate changed between 183 and 200"
        to_carrier = carrier.one("INVITE").sdp()
        assert not rtp.has(to_carrier, "a=ice-") and not rtp.has(to_carrier, "a=candidate")
        sbc_port = rtp.port(to_carrier)
        sbc_key = rtp.crypto_key(ok.sdp())

        assert client.connect(ok.sdp()) == (net.sbc, rtp.port(ok.sdp()))
        carrier_to_teams(carrier_ep, net.sbc, sbc_port, client, sbc_key, 1)
        teams_to_carrier(carrier_ep, client, key, 1)

        moved = lab.wait_for(lambda: [m for m in teams.received(200, "INVITE")
                                      if m.cseq_number == 2], "the 200 to the re-INVITE",
                             timeout=15.0)[0]
        again = assert_ice_lite(moved.sdp(), net.sbc)
        before, after = ice_params(ok.sdp()), ice_params(moved.sdp())
        assert (after.ufrag, after.pwd) != (before.ufrag, before.pwd), "no new credentials"
        assert again[-1] == first[-1], "the SBC's candidate moved"  # c=/m= port the same
        assert rtp.crypto_key(moved.sdp()) == sbc_key
        assert processor.connect(moved.sdp()) == (net.sbc, rtp.port(moved.sdp()))
        carrier_to_teams(carrier_ep, net.sbc, sbc_port, processor, sbc_key, 100)
        teams_to_carrier(carrier_ep, processor, key, 100)
        assert client.recv(1, timeout=0.3) == [], "media still went to the client"
        lab.check(teams, carrier)  # carrier_early.xml fails on any re-INVITE
        assert len(carrier.received("INVITE")) == 1
    finally:
        for agent in (client, processor):
            agent.close()
        carrier_ep.close()
