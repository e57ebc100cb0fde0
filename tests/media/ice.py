"""A Teams endpoint's ICE for media-bypass tests: aiortc's aioice as the controlling agent.

Teams clients and media processors are full ICE agents and controlling; toward an
ICE-lite peer (the SBC) aioice nominates the regular way (a check, then the same check
with USE-CANDIDATE), as Microsoft's endpoints do. `address` pins the one host candidate
(aioice would otherwise offer every address of the machine, and never loopback).

    agent = await IceAgent.start("127.0.0.1")
    sdp = bypass_answer(agent, key)          # or bypass_offer: Teams' SDP with its ICE
    await agent.connect(sdp_from_the_sbc)    # checks, nomination; IceError if it fails
    await agent.send(srtp_packet); packet = await agent.recv(2.0)
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from unittest import mock

import aioice

from .rtp import SUITE, inline, sdp


class IceError(AssertionError):
    """ICE did not complete: no check was answered, or no pair was nominated."""


@dataclass(frozen=True)
class IceParams:
    """The ICE part of one m= section (or the session) of an SDP."""

    ufrag: str
    pwd: str
    candidates: tuple[str, ...]  # the values after "a=candidate:"
    lite: bool


def ice_params(body: bytes | str) -> IceParams:
    """ufrag, pwd, candidates and a=ice-lite of an SDP; IceError when ufrag or pwd lack."""
    text = body.decode() if isinstance(body, bytes) else body
    ufrag = re.search(r"^a=ice-ufrag:(\S+)", text, re.M)
    pwd = re.search(r"^a=ice-pwd:(\S+)", text, re.M)
    if ufrag is None or pwd is None:
        raise IceError(f"no a=ice-ufrag/a=ice-pwd in\n{text}")
    candidates = tuple(c.strip() for c in re.findall(r"^a=candidate:(.+)$", text, re.M))
    return IceParams(ufrag.group(1), pwd.group(1), candidates,
                     bool(re.search(r"^a=ice-lite\s*$", text, re.M)))


class IceAgent:
    """One controlling ICE agent with one host candidate (component 1: rtcp-mux)."""

    def __init__(self, connection: aioice.Connection) -> None:
        self.connection = connection

    @classmethod
    async def start(cls, address: str) -> IceAgent:
        connection = aioice.Connection(ice_controlling=True, components=1, use_ipv6=False)
        with mock.patch("aioice.ice.get_host_addresses", return_value=[address]):
            await connection.gather_candidates()
        return cls(connection)

    @property
    def ufrag(self) -> str:
        return str(self.connection.local_username)

    @property
    def pwd(self) -> str:
        return str(self.connection.local_password)

    @property
    def candidate(self) -> aioice.Candidate:
        return self.connection.local_candidates[0]

    @property
    def address(self) -> tuple[str, int]:
        return self.candidate.host, self.candidate.port

    def sdp_lines(self) -> list[str]:
        """The ICE attributes of this agent's m= section."""
        return [f"a=ice-ufrag:{self.ufrag}", f"a=ice-pwd:{self.pwd}",
                f"a=candidate:{self.candidate.to_sdp()}"]

    async def connect(self, remote_sdp: bytes | str, timeout: float = 10.0) -> tuple[str, int]:
        """Checks toward the candidates in `remote_sdp` until one pair is nominated; the
        remote address of that pair."""
        params = ice_params(remote_sdp)
        conn = self.connection
        conn.remote_username, conn.remote_password = params.ufrag, params.pwd
        conn.remote_is_lite = params.lite
        for value in params.candidates:
            await conn.add_remote_candidate(aioice.Candidate.from_sdp(value))
        await conn.add_remote_candidate(None)
        try:
            await asyncio.wait_for(conn.connect(), timeout)
        except (ConnectionError, TimeoutError) as exc:
            raise IceError(f"ICE toward {params.candidates} failed: {exc!r}") from None
        pair = conn._nominated.get(1)
        if pair is None:
            raise IceError("ICE completed without a nominated pair")
        return pair.remote_candidate.host, pair.remote_candidate.port

    async def send(self, packet: bytes) -> None:
        await self.connection.send(packet)

    async def recv(self, timeout: float = 2.0) -> bytes:
        """The next packet that is not STUN (aioice hands those to itself)."""
        return await asyncio.wait_for(self.connection.recv(), timeout)

    async def close(self) -> None:
        await self.connection.close()


def _teams_sdp(agent: IceAgent, key: bytes, version: int, crypto_tag: int,
               codecs: str, extra: list[str]) -> bytes:
    host, port = agent.address
    rtpmaps = {"8": "a=rtpmap:8 PCMA/8000", "0": "a=rtpmap:0 PCMU/8000",
               "9": "a=rtpmap:9 G722/8000", "101": "a=rtpmap:101 telephone-event/8000"}
    return sdp(
        "v=0", f"o=- 9 {version} IN IP4 {host}", "s=session", f"c=IN IP4 {host}",
        "b=CT:10000000", "t=0 0",
        f"m=audio {port} RTP/SAVP {codecs}", f"c=IN IP4 {host}", f"a=rtcp:{port}",
        *agent.sdp_lines(), *extra,
        f"a=crypto:{crypto_tag} {SUITE} inline:{inline(key)}|2^31",
        "a=rtcp-mux", *(rtpmaps[pt] for pt in codecs.split()), "a=fmtp:101 0-16",
        "a=ptime:20", "a=sendrecv",
    )


def bypass_offer(agent: IceAgent, key: bytes, *, version: int = 0,
                 codecs: str = "8 0 9 101", extra: list[str] | None = None) -> bytes:
    """A Teams client's offer with media bypass: its own ICE (a host candidate here),
    SDES, rtcp-mux; `extra` lines (a=remote-candidates) go after the candidates."""
    return _teams_sdp(agent, key, version, 1, codecs, extra or [])


def bypass_answer(agent: IceAgent, key: bytes, *, version: int = 0,
                  crypto_tag: int = 1) -> bytes:
    """A Teams client's answer with media bypass: PCMA, its ICE, its SDES key."""
    return _teams_sdp(agent, key, version, crypto_tag, "8 101", [])
