"""Media bypass against the real rtpengine 10.5: rtpengine as the ICE-lite peer of a Teams
endpoint (aioice, controlling, regular nomination), SRTP over the nominated pair.

Microsoft's rules (docs/media-bypass.md): one candidate, a=ice-lite, every check answered
and none sent, several forked endpoints checking, ufrag/pwd/candidates the same in 183
and 200, an ICE restart by re-INVITE, unknown STUN attributes ignored, garbage dropped.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aioice import stun
from sbc.media import LegProfile, MediaRelay, MediaSession

from . import rtp
from .ice import IceAgent, bypass_answer, bypass_offer, ice_params
from .rtp import Endpoint
from .rtpengine import Rtpengine
from .test_rtpengine import CARRIER, PUBLIC, run

pytestmark = pytest.mark.peers

BYPASS = LegProfile(srtp=True, rtcp_mux=True, strip_ice=False, ice_lite=True,
                    media_address=PUBLIC)


def assert_ice_lite_toward_teams(body: bytes) -> None:
    """Microsoft's rules for the SBC's SDP: a=ice-lite, exactly one candidate (component
    1, UDP, host, the public address and the m= port), rtcp-mux, one SDES suite."""
    text = rtp.text(body)
    params = ice_params(body)
    assert params.lite, text
    assert len(params.candidates) == 1, text
    foundation, component, transport, _priority, address, port, _typ, kind = \
        params.candidates[0].split()[:8]
    assert (component, transport.upper(), kind) == ("1", "UDP", "host"), text
    assert address == PUBLIC and int(port) == rtp.port(body), text
    assert rtp.connection(body) == {PUBLIC}, text
    assert rtp.has(body, "a=rtcp-mux") and rtp.proto(body) == "RTP/SAVP", text
    assert len(rtp.cryptos(body)) == 1 and rtp.SUITE in rtp.cryptos(body)[0], text
    assert not rtp.has(body, "a=fingerprint"), text


def ice_lines(body: bytes) -> list[str]:
    return [line for line in rtp.lines(body)
            if line.startswith(("a=ice-", "a=candidate", "a=crypto", "m=", "c="))]


class Bypass:
    """A carrier (tag a, plain RTP on `carrier`) and a Teams endpoint (tag b) whose media
    goes over ICE; `key` is the key Teams sends with."""

    def __init__(self, media: MediaSession) -> None:
        self.media = media
        self.carrier = Endpoint()
        self.key = rtp.new_key()
        self.to_teams = b""
        self.to_carrier = b""
        self.seq = 0

    async def carrier_to(self, agent: IceAgent, count: int = 3) -> list[bytes]:
        """`count` RTP packets from the carrier; the payloads `agent` decrypts (with the
        SBC's key toward Teams), in order."""
        key = rtp.crypto_key(self.to_teams)
        session = rtp.srtp(key, outbound=False)
        sent, got = [], []
        for _ in range(count):
            self.seq += 1
            payload = os.urandom(160)
            sent.append(payload)
            self.carrier.send(rtp.rtp_packet(self.seq, payload), rtp.port(self.to_carrier))
            try:
                packet = await agent.recv(2.0)
            except TimeoutError:
                break
            got.append(rtp.payload_of(session.unprotect(packet)))
        assert got == sent, f"the Teams endpoint got {len(got)} of {count} packets intact"
        return got

    async def teams_from(self, agent: IceAgent, count: int = 3) -> None:
        """SRTP from `agent` over its nominated pair reaches the carrier as plain RTP."""
        session = rtp.srtp(self.key, outbound=True)
        for _ in range(count):
            self.seq += 1
            packet = rtp.rtp_packet(self.seq, os.urandom(160), ssrc=0x99)
            await agent.send(session.protect(packet))
            received = await asyncio.get_running_loop().run_in_executor(
                None, self.carrier.recv)
            assert received == packet

    def close(self) -> None:
        self.carrier.close()


def bypass_run(engine: Rtpengine, body: Callable[[Bypass, list[IceAgent]], Awaitable[None]],
               agents: int = 1, call_id: str = "bp", profiles: dict[str, LegProfile] | None = None,
               ) -> None:
    async def main(relay: MediaRelay) -> None:
        media = relay.session(call_id, profiles or {"a": CARRIER, "b": BYPASS})
        call = Bypass(media)
        started = [await IceAgent.start(PUBLIC) for _ in range(agents)]
        try:
            await body(call, started)
            await media.delete()
        finally:
            for agent in started:
                await agent.close()
            call.close()

    run(engine, main, limit=60)


def test_the_sbc_offers_teams_one_candidate_as_ice_lite_and_media_flows(
        rtpengine: Rtpengine) -> None:
    async def body(call: Bypass, agents: list[IceAgent]) -> None:
        (teams,) = agents
        call.to_teams = await call.media.offer(rtp.carrier_offer(call.carrier.port),
                                               by="a", to="b")
        assert_ice_lite_toward_teams(call.to_teams)
        call.to_carrier = await call.media.answer(bypass_answer(teams, call.key),
                                                  by="b", to="a")
        assert not rtp.has(call.to_carrier, "a=ice-") and \
            not rtp.has(call.to_carrier, "a=candidate"), rtp.text(call.to_carrier)
        remote = await teams.connect(call.to_teams)
        assert remote == (PUBLIC, rtp.port(call.to_teams))
        await call.carrier_to(teams)
        await call.teams_from(teams)

    bypass_run(rtpengine, body)


def test_teams_offer_is_answered_ice_lite_the_same_in_183_and_200(rtpengine: Rtpengine) -> None:
    async def body(call: Bypass, agents: list[IceAgent]) -> None:
        (teams,) = agents
        to_carrier = await call.media.offer(bypass_offer(teams, call.key), by="b", to="a")
        assert not rtp.has(to_carrier, "a=ice-") and not rtp.has(to_carrier, "a=candidate")
        assert rtp.proto(to_carrier) == "RTP/AVP"
        early = await call.media.answer(rtp.carrier_answer(call.carrier.port), by="a", to="b")
        # the carrier's 200 comes with its SDP again, on another port this time
        other = Endpoint()
        try:
            final = await call.media.answer(rtp.carrier_answer(other.port, version=2),
                                            by="a", to="b")
        finally:
            other.close()
        final = await call.media.answer(rtp.carrier_answer(call.carrier.port, version=3),
                                        by="a", to="b")
        for body_ in (early, final):
            assert_ice_lite_toward_teams(body_)
        assert ice_lines(early) == ice_lines(final)
        call.to_teams, call.to_carrier = final, to_carrier
        await teams.connect(final)
        await call.carrier_to(teams)
        await call.teams_from(teams)

    bypass_run(rtpengine, body)


def test_forked_endpoints_check_and_the_one_that_answers_gets_the_media(
        rtpengine: Rtpengine) -> None:
    """Two Teams endpoints ring: the one that does not answer checks and nominates before
    the 200, the one that answers after it; a third checks once the call is up."""

    async def body(call: Bypass, agents: list[IceAgent]) -> None:
        winner, loser, late = agents
        call.to_teams = await call.media.offer(rtp.carrier_offer(call.carrier.port),
                                               by="a", to="b")
        assert await loser.connect(call.to_teams) == (PUBLIC, rtp.port(call.to_teams))
        call.to_carrier = await call.media.answer(bypass_answer(winner, call.key),
                                                  by="b", to="a")
        await winner.connect(call.to_teams)
        await late.connect(call.to_teams)  # answered too: every check gets its answer
        await call.carrier_to(winner, count=5)
        await call.teams_from(winner)
        for agent in (loser, late):
            with pytest.raises(TimeoutError):
                await agent.recv(0.3)

    bypass_run(rtpengine, body, agents=3)


def test_ice_restart_moves_the_call_to_a_media_processor(rtpengine: Rtpengine) -> None:
    """Teams calls out with bypass, then re-INVITEs with a new ufrag/pwd from a media
    processor: new credentials back, the same port and key toward the carrier."""

    async def body(call: Bypass, agents: list[IceAgent]) -> None:
        client, processor = agents
        offer = bypass_offer(client, call.key)
        call.to_carrier = await call.media.offer(offer, by="b", to="a")
        call.to_teams = await call.media.answer(rtp.carrier_answer(call.carrier.port),
                                                by="a", to="b")
        await client.connect(call.to_teams)
        await call.carrier_to(client)
        await call.teams_from(client)

        again = await call.media.offer(bypass_offer(processor, call.key, version=1),
                                       by="b", to="a")
        assert again == call.to_carrier, "the carrier's SDP changed on an ICE restart"
        restarted = await call.media.answer(rtp.carrier_answer(call.carrier.port),
                                            by="a", to="b")
        assert_ice_lite_toward_teams(restarted)
        before, after = ice_params(call.to_teams), ice_params(restarted)
        assert (after.ufrag, after.pwd) != (before.ufrag, before.pwd)
        assert rtp.port(restarted) == rtp.port(call.to_teams)
        assert rtp.crypto_key(restarted) == rtp.crypto_key(call.to_teams)
        call.to_teams = restarted
        await processor.connect(restarted)
        await call.carrier_to(processor)
        await call.teams_from(processor)
        with pytest.raises(TimeoutError):
            await client.recv(0.3)

    bypass_run(rtpengine, body, agents=2)


def _binding(username: str, pwd: str, *attributes: tuple[int, bytes]) -> bytes:
    """A Binding request as a Teams endpoint sends it, with `attributes` that rtpengine
    does not know placed before MESSAGE-INTEGRITY (comprehension-optional: >= 0x8000)."""
    request = stun.Message(message_method=stun.Method.BINDING,
                           message_class=stun.Class.REQUEST)
    request.attributes["USERNAME"] = username
    request.attributes["PRIORITY"] = 1853824767
    request.attributes["ICE-CONTROLLING"] = 4711
    raw = bytearray(bytes(request))
    for kind, value in attributes:
        padded = value + b"\0" * (-len(value) % 4)
        raw += kind.to_bytes(2, "big") + len(value).to_bytes(2, "big") + padded
    raw[2:4] = (len(raw) - 20).to_bytes(2, "big")
    message = stun.parse_message(bytes(raw))
    message.add_message_integrity(pwd.encode())
    message.add_fingerprint()
    return bytes(message)


def test_unknown_stun_attributes_are_ignored_and_garbage_is_dropped(
        rtpengine: Rtpengine) -> None:
    async def body(call: Bypass, agents: list[IceAgent]) -> None:
        (teams,) = agents
        call.to_teams = await call.media.offer(rtp.carrier_offer(call.carrier.port),
                                               by="a", to="b")
        call.to_carrier = await call.media.answer(bypass_answer(teams, call.key),
                                                  by="b", to="a")
        sbc = ice_params(call.to_teams)
        port = rtp.port(call.to_teams)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((PUBLIC, 0))
            probe.settimeout(2.0)
            for garbage in (b"\x00\x01\x00\x08\x21\x12\xa4\x42" + b"\xff" * 7,  # cut short
                            b"\x00\x01\x00\x00" + os.urandom(16),  # no magic cookie
                            os.urandom(3)):
                probe.sendto(garbage, (PUBLIC, port))
            # MS-ICE2's own attributes (MS-IMPLEMENTATION-VERSION, MS-SERVICE-QUALITY)
            request = _binding(f"{sbc.ufrag}:{teams.ufrag}", sbc.pwd,
                               (0x8070, b"\0\0\0\x02"), (0x8055, b"\0\x01\0\x02"))
            probe.sendto(request, (PUBLIC, port))
            reply = stun.parse_message(probe.recv(2000))
        assert reply.message_method == stun.Method.BINDING
        assert reply.message_class == stun.Class.RESPONSE
        assert reply.transaction_id == stun.parse_message(request).transaction_id
        assert reply.attributes["XOR-MAPPED-ADDRESS"][0] == PUBLIC
        assert reply.check_message_integrity(sbc.pwd.encode())
        # and the call goes on
        await teams.connect(call.to_teams)
        await call.carrier_to(teams)

    bypass_run(rtpengine, body)


def test_behind_nat_the_candidate_is_the_public_address(tmp_path: Path) -> None:
    """With rtpengine's interface `local!public` (sbc.wan_ip / sbc.public_ip), the one
    candidate and c= carry the public address; rtpengine still listens on the local one."""
    public = "192.0.2.7"
    with Rtpengine(tmp_path, interface=f"{PUBLIC}!{public}") as engine:
        async def body(relay: MediaRelay) -> None:
            bypass = LegProfile(srtp=True, rtcp_mux=True, strip_ice=False, ice_lite=True,
                                media_address=public)
            carrier = Endpoint()
            try:
                media = relay.session("nat", {"a": CARRIER, "b": bypass})
                to_teams = await media.offer(rtp.carrier_offer(carrier.port), by="a", to="b")
                params = ice_params(to_teams)
                assert len(params.candidates) == 1 and params.lite
                assert params.candidates[0].split()[4:6] == [public, str(rtp.port(to_teams))]
                assert rtp.connection(to_teams) == {public}
                await media.delete()
            finally:
                carrier.close()

        run(engine, body)


def test_a_teams_answer_without_ice_gets_its_media_at_the_address_it_gave(
        rtpengine: Rtpengine) -> None:
    """A Teams endpoint that answers our ICE-lite offer without ICE of its own (as the
    media processors did before bypass): rtpengine drops ICE for it and sends to the c=/m=
    address, so such calls keep working with bypass on."""

    async def body(relay: MediaRelay) -> None:
        carrier, teams = Endpoint(), Endpoint()
        key = rtp.new_key()
        try:
            media = relay.session("noice", {"a": CARRIER, "b": BYPASS})
            to_teams = await media.offer(rtp.carrier_offer(carrier.port), by="a", to="b")
            assert_ice_lite_toward_teams(to_teams)
            to_carrier = await media.answer(rtp.teams_answer(teams.port, key), by="b", to="a")
            packet = rtp.rtp_packet(1, os.urandom(160))
            carrier.send(packet, rtp.port(to_carrier))
            clear = rtp.srtp(rtp.crypto_key(to_teams), outbound=False).unprotect(teams.recv())
            assert rtp.payload_of(clear) == rtp.payload_of(packet)
            back = rtp.rtp_packet(2, os.urandom(160), ssrc=0x42)
            teams.send(rtp.srtp(key, outbound=True).protect(back), rtp.port(to_teams))
            assert carrier.recv() == back
            await media.delete()
        finally:
            carrier.close()
            teams.close()

    run(rtpengine, body)
