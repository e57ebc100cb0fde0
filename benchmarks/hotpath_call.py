"""The second figure of `python -m benchmarks hotpath`: one whole call, counted.

A carrier calls Teams through the real `SipEngine` and `CallManager` (routing, dialogs,
transactions, the B2BUA, every message parsed from bytes and serialized to bytes), with
stand-ins where the SBC meets the outside: a wire that serializes what the engine sends
and lets two scripted peers answer it, and a media relay that answers offer, answer and
delete at once, so the rtpengine client is not in the count (the calls benchmark's
profile measures it). The event loop runs on a virtual clock: no protocol timer waits
in wall time, and after each call the clock jumps past Timer L/M/J, so every call's
transactions end (their timer work counted) before the next call starts.
"""

from __future__ import annotations

import asyncio
import cProfile
import re
import selectors
import time
from collections import Counter
from typing import Any

from sbc.app.runtime import identity
from sbc.b2bua import CallManager, Signalling
from sbc.config import loads
from sbc.core import SipEngine, SourceGate
from sbc.media import LegProfile
from sbc.resolve import SipResolver
from sbc.sip import parse_datagram
from sbc.transport import Incoming, Peer

WARMUP, MEASURED = 50, 500
CARRIER = Peer("127.0.0.2", 5080, "udp")
TEAMS = Peer("127.0.0.3", 5061, "tls", sni="sip.pstnhub.microsoft.com")
TEAMS_NAMES = ("sip.pstnhub.microsoft.com",)  # what the TLS transport reads from its cert
CONFIG = """
sbc:
  fqdn: sbc.lab.test
  public_ip: 192.0.2.10
  listen:
    - {transport: udp, address: 127.0.0.1, port: 5060}
    - {transport: tls, address: 127.0.0.1, port: 5061}
  tls: {cert: /nonexistent/sbc.crt, key: /nonexistent/sbc.key, ca_bundle: /nonexistent/ca.pem}
connections:
  - {name: Carrier, profile: generic, host: 127.0.0.2, port: 5080, transport: udp,
     country_code: "49", national_prefix: "0", international_prefix: "00",
     number_format: national, options: false, allowlist: [127.0.0.2/32]}
  - {name: Teams, profile: teams-generic, options: false, allowlist: [127.0.0.3/32, 127.0.0.4/32]}
hosts:
  sip.pstnhub.microsoft.com: 127.0.0.3:5061
  sip2.pstnhub.microsoft.com: 127.0.0.4:5061
  sip3.pstnhub.microsoft.com: 127.0.0.5:5061
routes:
  - {from: Carrier, to: Teams}
"""
CARRIER_SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
               "m=audio 7000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
               "a=sendrecv\r\n")
TEAMS_SDP = ("v=0\r\no=- 9 9 IN IP4 52.114.1.9\r\ns=-\r\nc=IN IP4 52.114.1.9\r\nt=0 0\r\n"
             "m=audio 6000 RTP/SAVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
             "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9"
             "CnVubGVz\r\na=rtcp-mux\r\na=sendrecv\r\n")
RELAY_OFFER = (b"v=0\r\no=- 2 2 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
               b"m=audio 30000 RTP/SAVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
               b"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1c"
               b"fHAwJSoj\r\na=rtcp-mux\r\na=sendrecv\r\n")
RELAY_ANSWER = (b"v=0\r\no=- 3 3 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\n"
                b"t=0 0\r\nm=audio 30002 RTP/AVP 8 101\r\n"
                b"a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")
# Each call sends exactly these (to, what, CSeq method), in some order.
EXPECTED = Counter([
    ("carrier", "100", "INVITE"), ("teams", "INVITE", "INVITE"), ("carrier", "180", "INVITE"),
    ("teams", "ACK", "ACK"), ("carrier", "200", "INVITE"), ("carrier", "200", "BYE"),
    ("teams", "BYE", "BYE"),
])
# The header fields a peer copies from what it answers (canonical names: `to_bytes`).
_FIELDS = re.compile(r"^(Via|From|To|Call-ID|CSeq|Contact): ([^\r]*)", re.M)


class CallFailed(RuntimeError):
    """A call did not go as scripted: the count would not be of a whole call."""


class _Selector(selectors.DefaultSelector):
    """Jumps to the next timer instead of waiting for it; nothing due at all is a stall."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        events = super().select(0)
        if events or timeout == 0:
            return events
        if timeout is None:
            raise CallFailed("nothing ready and no timer pending: a call is stuck")
        self.now += timeout
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose time is the selector's virtual clock (no socket of its own)."""

    def __init__(self) -> None:
        self._clock = _Selector()
        super().__init__(self._clock)

    def time(self) -> float:
        return self._clock.now


class _Session:
    """One call's media, answered at once with plausible SDP (no rtpengine)."""

    def __init__(self, relay: _Relay, profiles: dict[str, LegProfile]) -> None:
        self.relay = relay
        self.profiles = profiles
        self.state = "new"  # "offered", then "deleted"

    async def offer(self, sdp: bytes | None, *, by: str, to: str) -> bytes:
        self.state = "offered"
        self.relay.commands["offer"] += 1
        return RELAY_OFFER

    async def answer(self, sdp: bytes, *, by: str, to: str) -> bytes:
        self.relay.commands["answer"] += 1
        return RELAY_ANSWER

    async def late_answer(self, sdp: bytes, *, by: str, to: str) -> None:
        return None

    async def activity(self) -> None:
        return None

    @property
    def needs_delete(self) -> bool:
        return self.state != "deleted"

    async def delete(self) -> None:
        """The call's end: the driver waits for this (the CDR follows in the same step)."""
        self.relay.commands["delete"] += 1
        self.state = "deleted"
        ended = self.relay.ended
        if ended is not None and not ended.done():
            ended.set_result(None)


class _Relay:
    def __init__(self) -> None:
        self.sessions: list[_Session] = []
        self.commands: Counter[str] = Counter()  # as rtpengine would get them
        self.ended: asyncio.Future[None] | None = None

    def session(self, call_id: str, profiles: dict[str, LegProfile]) -> _Session:
        session = _Session(self, dict(profiles))
        self.sessions.append(session)
        return session

    async def cleanup(self) -> int:
        return 0

    async def close(self) -> None:
        return None


class _Peers:
    """The transports' place (serializes what the engine sends, as the real one does) and
    the two peers, scripted: Teams answers INVITE with 100 and 180, and with 200 once the
    carrier heard the 180; the carrier ACKs the 200 and hangs up at once; Teams answers
    the BYE. Answers come back as bytes through the loop, parsed like a datagram."""

    def __init__(self, engine: SipEngine) -> None:
        self.engine = engine
        self.loop = asyncio.get_running_loop()
        self.log: list[tuple[str, bytes]] = []
        self.received = 0
        self.n = 0
        self._invite: dict[str, str] = {}  # the header fields of the INVITE Teams got
        self._teams = TEAMS  # replaced by where the SBC sent its INVITE
        self._hung_up = False

    def flow_busy(self, peer: Peer) -> bool:
        return False

    def send(self, message: Any, dest: Peer) -> None:
        data: bytes = message.to_bytes()
        self.log.append((dest.host, data))
        if dest.host == CARRIER.host:
            self._to_carrier(data)
        else:
            self._to_teams(data, dest)

    def start(self, n: int) -> None:
        """Call `n` begins: the carrier's INVITE arrives."""
        self.n, self._hung_up = n, False
        self._from_carrier(
            f"INVITE sip:030123456789@sbc.lab.test SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.2:5080;branch=z9hG4bKc{n}\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:0301111111@127.0.0.2>;tag=ct{n}\r\n"
            f"To: <sip:030123456789@sbc.lab.test>\r\nCall-ID: c{n}@127.0.0.2\r\n"
            f"CSeq: 1 INVITE\r\nContact: <sip:0301111111@127.0.0.2:5080>\r\n"
            f"Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE\r\nSupported: timer\r\n"
            f"Session-Expires: 1800\r\nContent-Type: application/sdp\r\n"
            f"Content-Length: {len(CARRIER_SDP)}\r\n\r\n{CARRIER_SDP}")

    # -- the carrier ------------------------------------------------------------------

    def _to_carrier(self, data: bytes) -> None:
        if data[:12] == b"SIP/2.0 180 ":
            self._teams_answers()
        elif data[:12] == b"SIP/2.0 200 " and not self._hung_up:
            self._hung_up = True
            ok = dict(_FIELDS.findall(data.decode()))
            n, to, contact = self.n, ok["To"], ok["Contact"]
            uri = contact[1:contact.find(">")]
            for method, cseq, branch in (("ACK", 1, "a"), ("BYE", 2, "b")):
                self._from_carrier(
                    f"{method} {uri} SIP/2.0\r\n"
                    f"Via: SIP/2.0/UDP 127.0.0.2:5080;branch=z9hG4bK{branch}{n}\r\n"
                    f"Max-Forwards: 70\r\nFrom: <sip:0301111111@127.0.0.2>;tag=ct{n}\r\n"
                    f"To: {to}\r\nCall-ID: c{n}@127.0.0.2\r\nCSeq: {cseq} {method}\r\n"
                    f"Content-Length: 0\r\n\r\n")

    def _from_carrier(self, text: str) -> None:
        self.loop.call_soon(self._deliver, text.encode(), CARRIER, ("127.0.0.1", 5060), ())

    # -- Teams --------------------------------------------------------------------------

    def _to_teams(self, data: bytes, dest: Peer) -> None:
        if data[:7] == b"INVITE ":
            self._teams = dest
            self._invite = sent = dict(_FIELDS.findall(data.decode()))
            self._from_teams(self._answer(sent, "100 Trying", ""))
            self._from_teams(self._answer(sent, "180 Ringing", self._contact()))
        elif data[:4] == b"BYE ":
            self._from_teams(self._answer(dict(_FIELDS.findall(data.decode())), "200 OK", ""))

    def _teams_answers(self) -> None:
        self._from_teams(self._answer(
            self._invite, "200 OK",
            f"{self._contact()}Allow: INVITE, ACK, OPTIONS, CANCEL, BYE, NOTIFY\r\n"
            f"Content-Type: application/sdp\r\n", TEAMS_SDP))

    def _contact(self) -> str:
        return "Contact: <sip:sip.pstnhub.microsoft.com:5061;transport=tls>\r\n"

    def _answer(self, sent: dict[str, str], status: str, extra: str, body: str = "") -> str:
        to = sent["To"] if status == "100 Trying" or ";tag=" in sent["To"] else \
            f"{sent['To']};tag=tm{self.n}"
        return (f"SIP/2.0 {status}\r\nVia: {sent['Via']}\r\nFrom: {sent['From']}\r\n"
                f"To: {to}\r\nCall-ID: {sent['Call-ID']}\r\nCSeq: {sent['CSeq']}\r\n{extra}"
                f"Content-Length: {len(body)}\r\n\r\n{body}")

    def _from_teams(self, text: str) -> None:
        self.loop.call_soon(self._deliver, text.encode(), self._teams, ("127.0.0.1", 5061),
                            TEAMS_NAMES)

    def _deliver(self, data: bytes, source: Peer, local: tuple[str, int],
                 names: tuple[str, ...]) -> None:
        """As the transports do: parse the bytes, hand the engine an `Incoming`."""
        self.received += 1
        raw = data if source.transport == "udp" else b""
        self.engine.receive(Incoming(source=source, local=local, message=parse_datagram(data),
                                     peer_names=names, raw=raw))


class Rig:
    """The engine and B2BUA as `sbc` runs them, with the stand-ins attached."""

    def __init__(self) -> None:
        config = loads(CONFIG, "hotpath-call.yaml")
        self.engine = SipEngine(identity(config), SourceGate(config))
        self.peers = _Peers(self.engine)
        self.engine.attach(self.peers)  # type: ignore[arg-type]  # send() and flow_busy()
        self.relay = _Relay()
        self.manager = CallManager(Signalling(self.engine, SipResolver(config.hosts)),
                                   self.relay, config)  # type: ignore[arg-type]  # a stand-in
        self.manager.install(self.engine.router)
        timers = self.engine.layer.config
        self.linger = 64 * timers.t1 + timers.t4  # past Timer L, M and J: all transactions end

    async def calls(self, first: int, count: int) -> None:
        """`count` calls one after the other, each to its end and its transactions' end."""
        loop = asyncio.get_running_loop()
        for n in range(first, first + count):
            self.relay.ended = loop.create_future()
            started = loop.time()
            self.peers.start(n)
            await self.relay.ended
            if loop.time() != started:
                raise CallFailed(f"call {n} needed a timer ({loop.time() - started:g} s)")
            await asyncio.sleep(self.linger)
            if self.manager.calls or self.engine.layer.clients or self.engine.layer.servers:
                raise CallFailed(f"call {n} left calls or transactions behind")

    def check(self, calls: int) -> None:
        """Each of the `calls` so far sent exactly what a whole call sends (the 200 to the
        carrier's BYE among them), and nothing is left over."""
        log = self.peers.log
        per_call = sum(EXPECTED.values())
        if len(log) != per_call * calls:
            raise CallFailed(f"{len(log)} messages sent for {calls} calls")
        for n in range(calls):
            sent = Counter(_what(host, data) for host, data in log[n * per_call:][:per_call])
            if sent != EXPECTED:
                raise CallFailed(f"call {n} sent {sorted(sent.elements())}")
        states = Counter(session.state for session in self.relay.sessions)
        if states != Counter({"deleted": calls}):
            raise CallFailed(f"media sessions of {calls} calls: {dict(states)}")
        if self.manager.calls or self.manager.dialogs or self.engine.layer.clients:
            raise CallFailed("calls, dialogs or transactions left over")


def _what(host: str, data: bytes) -> tuple[str, str, str]:
    first, _, rest = data.decode().partition("\r\n")
    who = "carrier" if host == CARRIER.host else "teams"
    what = first.split()[1] if first.startswith("SIP/2.0 ") else first.split()[0]
    cseq = dict(_FIELDS.findall(rest)).get("CSeq", "? ?").split()[1]
    return who, what, cseq


def measure() -> dict[str, Any]:
    """WARMUP calls, MEASURED calls under cProfile (its raw entries: `profile`), and MEASURED
    more unprofiled (`us` per call, for scale); what went over the wire per call."""
    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        return runner.run(_measure())


async def _measure() -> dict[str, Any]:
    rig = Rig()
    try:
        await rig.calls(0, WARMUP)
        sent, received = len(rig.peers.log), rig.peers.received
        commands = rig.relay.commands.copy()
        profile = cProfile.Profile()
        profile.enable()
        await rig.calls(WARMUP, MEASURED)
        profile.disable()
        sent, received = len(rig.peers.log) - sent, rig.peers.received - received
        commands = rig.relay.commands - commands
        rig.check(WARMUP + MEASURED)
        started = time.perf_counter()
        await rig.calls(WARMUP + MEASURED, MEASURED)
        elapsed = time.perf_counter() - started
        rig.check(WARMUP + 2 * MEASURED)
    finally:
        rig.engine.close()
    return {"profile": profile.getstats(), "measured": MEASURED, "warmup": WARMUP,
            "us": elapsed / MEASURED * 1e6, "sent": sent / MEASURED,
            "received": received / MEASURED,
            "media": {k: v / MEASURED for k, v in sorted(commands.items())}}

