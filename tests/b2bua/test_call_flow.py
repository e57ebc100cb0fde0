"""Call flows through the real engine and B2BUA, without sockets: a recording transport,
the static host map for resolution and a scripted media relay. The SIPp tests in
tests/calls do the same on the wire; these pin the decisions (failover, 603, CANCEL,
limits, media failures, cleanup) quickly and deterministically."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sbc.app.runtime import identity as runtime_identity
from sbc.b2bua import CallManager, Signalling
from sbc.config import Config, loads
from sbc.core import SipEngine, SourceGate
from sbc.media import LegProfile, MediaError
from sbc.resolve import SipResolver
from sbc.sip import Request, Response, TimerConfig, build_response, parse_datagram
from sbc.transport import Incoming, Peer

from .vclock import VirtualClockLoop

CONFIG = """
sbc:
  fqdn: sbc.lab.test
  public_ip: 192.0.2.10
  listen:
    - {transport: udp, address: 127.0.0.1, port: 5060}
    - {transport: tls, address: 127.0.0.1, port: 5061}
  tls: {cert: /nonexistent/sbc.crt, key: /nonexistent/sbc.key, ca_bundle: /nonexistent/ca.pem}
connections:
  - name: Carrier
    profile: generic
    host: 127.0.0.2
    port: 5080
    transport: udp
    country_code: "49"
    national_prefix: "0"
    international_prefix: "00"
    number_format: national
    options: false
    allowlist: [127.0.0.2/32]
  - {name: Teams, profile: teams-generic, options: false, allowlist: [127.0.0.3/32, 127.0.0.4/32]}
hosts:
  sip.pstnhub.microsoft.com: 127.0.0.3:5061
  sip2.pstnhub.microsoft.com: 127.0.0.4:5061
  sip3.pstnhub.microsoft.com: 127.0.0.5:5061
routes:
  - {from: Carrier, to: Teams}
  - {from: Teams, to: Carrier}
calls: {max_calls: MAXCALLS, failover_timeout: 2}
"""

CARRIER = Peer("127.0.0.2", 5080, "udp")
TEAMS1 = "127.0.0.3"
TEAMS2 = "127.0.0.4"
SDP = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
       b"m=audio 7000 RTP/AVP 8\r\n")


def invite(branch: str = "z9hG4bKc1", call_id: str = "c1@127.0.0.2") -> Request:
    text = (
        "INVITE sip:030123456789@sbc.lab.test SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.2:5080;branch={branch}\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:0301111111@127.0.0.2>;tag=ct\r\n"
        "To: <sip:030123456789@sbc.lab.test>\r\n"
        f"Call-ID: {call_id}\r\n"
        "CSeq: 1 INVITE\r\n"
        "Contact: <sip:0301111111@127.0.0.2:5080>\r\n"
        "Content-Type: application/sdp\r\n"
        f"Content-Length: {len(SDP)}\r\n\r\n"
    ).encode() + SDP
    message = parse_datagram(text)
    assert isinstance(message, Request)
    return message


@dataclass
class FakeSession:
    call_id: str
    profiles: dict[str, LegProfile]
    relay: FakeRelay

    async def offer(self, sdp: bytes | None, *, by: str, to: str) -> bytes:
        if self.relay.fail:
            raise MediaError("rtpengine at 127.0.0.1:2223 did not answer")
        self.relay.live.add(self.call_id)
        return b"v=0\r\no=- 2 2 IN IP4 192.0.2.10\r\ns=-\r\nt=0 0\r\nm=audio 30000 RTP/SAVP 8\r\n"

    async def answer(self, sdp: bytes, *, by: str, to: str) -> bytes:
        return b"v=0\r\no=- 3 3 IN IP4 192.0.2.10\r\ns=-\r\nt=0 0\r\nm=audio 30002 RTP/AVP 8\r\n"

    async def late_answer(self, sdp: bytes, *, by: str, to: str) -> None:
        pass

    async def delete(self) -> None:
        self.relay.deletes += 1
        self.relay.live.discard(self.call_id)

    @property
    def needs_delete(self) -> bool:
        return self.call_id in self.relay.live

    async def activity(self) -> None:
        return None


@dataclass
class FakeRelay:
    fail: bool = False
    live: set[str] = field(default_factory=set)
    deletes: int = 0

    def session(self, call_id: str, profiles: dict[str, LegProfile]) -> FakeSession:
        return FakeSession(call_id, dict(profiles), self)

    async def cleanup(self) -> int:
        return 0

    async def close(self) -> None:
        pass


class Wire:
    """The transports, as the engine sees them: every message sent is kept."""

    def __init__(self) -> None:
        self.sent: list[tuple[Request | Response, Peer]] = []

    def send(self, message: Request | Response, dest: Peer) -> None:
        self.sent.append((message, dest))

    def requests(self, method: str, host: str | None = None) -> list[Request]:
        return [m for m, d in self.sent if isinstance(m, Request) and m.method == method
                and (host is None or d.host == host)]

    def statuses(self, host: str) -> list[int]:
        return [m.status for m, d in self.sent if isinstance(m, Response) and d.host == host]


@dataclass
class Rig:
    engine: SipEngine
    wire: Wire
    relay: FakeRelay
    manager: CallManager

    def deliver(self, message: Request | Response, source: Peer) -> None:
        self.engine.receive(Incoming(source=source, local=("127.0.0.1", 5060),
                                     message=parse_datagram(message.to_bytes())))

    def answer(self, request: Request, status: int, host: str, tag: str = "t1",
               headers: tuple[tuple[str, str], ...] = ()) -> None:
        body = b""
        extra = list(headers)
        if status == 200 or status == 183:
            body = b"v=0\r\no=- 9 9 IN IP4 127.0.0.9\r\ns=-\r\nt=0 0\r\nm=audio 6000 RTP/SAVP 8\r\n"
            extra += [("Content-Type", "application/sdp"),
                      ("Contact", f"<sip:{host}:5061;transport=tls>")]
        response = build_response(request, status, to_tag=tag, headers=extra, body=body)
        self.deliver(response, Peer(host, 5061, "tls"))


async def settle(rounds: int = 20) -> None:
    for _ in range(rounds):
        await asyncio.sleep(0)


def run(test: Callable[[Rig], Awaitable[None]], *, max_calls: int = 10,
        fail_media: bool = False, timers: TimerConfig | None = None,
        config_text: str | None = None) -> None:
    """`test` against the engine and a CallManager; `config_text` replaces CONFIG."""
    async def main() -> None:
        text = config_text or CONFIG.replace("MAXCALLS", str(max_calls))
        config: Config = loads(text, "test.yaml")
        engine = SipEngine(runtime_identity(config), SourceGate(config), timers=timers)
        wire = Wire()
        engine.attach(wire)  # type: ignore[arg-type]
        relay = FakeRelay(fail=fail_media)
        manager = CallManager(Signalling(engine, SipResolver(config.hosts)),
                              relay, config)  # type: ignore[arg-type]
        manager.install(engine.router)
        try:
            await test(Rig(engine, wire, relay, manager))
        finally:
            engine.close()

    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:  # timers take no time
        runner.run(main())


async def advance(seconds: float) -> None:
    """Let `seconds` pass on the rig's virtual clock (every timer due meanwhile fires)."""
    await asyncio.sleep(seconds)


def test_503_fails_over_to_teams2_and_the_answer_reaches_the_carrier() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(invite(), CARRIER)
        await settle()
        first = rig.wire.requests("INVITE", TEAMS1)
        assert len(first) == 1
        assert str(first[0].uri).startswith("sip:+4930123456789@sip.pstnhub.microsoft.com")
        assert first[0].call_id != "c1@127.0.0.2"  # a new dialog, not the carrier's
        rig.answer(first[0], 503, TEAMS1)
        await settle()
        assert [a.uri for a in rig.wire.requests("ACK", TEAMS1)]  # the 503 is ACKed
        second = rig.wire.requests("INVITE", TEAMS2)
        assert len(second) == 1
        rig.answer(second[0], 180, TEAMS2)
        rig.answer(second[0], 200, TEAMS2)
        await settle()
        assert rig.wire.statuses("127.0.0.2")[-2:] == [180, 200]
        assert rig.wire.requests("ACK", TEAMS2)
        assert rig.manager.counters.answered == 1
        (call,) = rig.manager.calls.values()
        assert call.record.attempts == ["Teams1 503", "Teams2 200"]

    run(flow)


def test_603_is_final_and_never_retried() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(invite(), CARRIER)
        await settle()
        rig.answer(rig.wire.requests("INVITE", TEAMS1)[0], 603, TEAMS1)
        await settle()
        assert rig.wire.statuses("127.0.0.2")[-1] == 603
        assert rig.wire.requests("INVITE", TEAMS2) == []
        assert rig.manager.calls == {} and rig.relay.live == set()
        assert rig.manager.counters.failed == {"declined": 1}

    run(flow)


def test_cancel_before_answer_is_passed_on_and_cleans_up() -> None:
    async def flow(rig: Rig) -> None:
        request = invite()
        rig.deliver(request, CARRIER)
        await settle()
        out = rig.wire.requests("INVITE", TEAMS1)[0]
        rig.answer(out, 180, TEAMS1)
        await settle()
        cancel = parse_datagram(request.to_bytes().replace(b"INVITE sip:", b"CANCEL sip:", 1)
                                .replace(b"CSeq: 1 INVITE", b"CSeq: 1 CANCEL"))
        assert isinstance(cancel, Request)
        cancel.body = b""
        cancel.headers.remove("Content-Type")
        rig.deliver(cancel, CARRIER)
        await settle()
        assert 487 in rig.wire.statuses("127.0.0.2")
        assert rig.wire.requests("CANCEL", TEAMS1)
        rig.answer(out, 487, TEAMS1)
        await settle()
        assert rig.manager.calls == {} and rig.relay.live == set()
        assert rig.manager.counters.failed == {"cancelled": 1}

    run(flow)


def test_bye_from_teams_reaches_the_carrier() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(invite(), CARRIER)
        await settle()
        out = rig.wire.requests("INVITE", TEAMS1)[0]
        rig.answer(out, 200, TEAMS1)
        await settle()
        ok = [m for m, _ in rig.wire.sent if isinstance(m, Response) and m.status == 200][-1]
        bye = (f"BYE sip:sbc.lab.test:5061;transport=tls SIP/2.0\r\n"
               f"Via: SIP/2.0/TLS {TEAMS1}:5061;branch=z9hG4bKbye1\r\n"
               f"From: {out.headers.get('To')};tag=t1\r\nTo: {out.headers.get('From')}\r\n"
               f"Call-ID: {out.call_id}\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\n"
               "Content-Length: 0\r\n\r\n").encode()
        request = parse_datagram(bye)
        assert isinstance(request, Request) and ok.status == 200
        rig.deliver(request, Peer(TEAMS1, 5061, "tls"))
        await settle()
        assert rig.wire.statuses(TEAMS1)[-1] == 200
        (to_carrier,) = rig.wire.requests("BYE", "127.0.0.2")
        assert to_carrier.call_id == "c1@127.0.0.2"
        rig.answer(to_carrier, 200, "127.0.0.2")
        await settle()
        assert rig.manager.calls == {} and rig.relay.live == set()
        assert rig.relay.deletes == 1  # one delete per call: nothing could follow it

    run(flow)


def test_unknown_dialog_gets_481() -> None:
    async def flow(rig: Rig) -> None:
        bye = parse_datagram(invite().to_bytes().replace(b"INVITE sip:", b"BYE sip:", 1)
                             .replace(b"CSeq: 1 INVITE", b"CSeq: 2 BYE")
                             .replace(b"To: <sip:030123456789@sbc.lab.test>",
                                      b"To: <sip:030123456789@sbc.lab.test>;tag=nope"))
        assert isinstance(bye, Request)
        rig.deliver(bye, CARRIER)
        await settle()
        assert rig.wire.statuses("127.0.0.2") == [481]

    run(flow)


def test_over_max_calls_gets_503_with_retry_after() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(invite(), CARRIER)
        rig.deliver(invite("z9hG4bKc2", "c2@127.0.0.2"), CARRIER)
        await settle()
        refused = [m for m, d in rig.wire.sent
                   if isinstance(m, Response) and m.status == 503]
        assert len(refused) == 1 and refused[0].headers.get("Retry-After") == "5"
        assert len(rig.wire.requests("INVITE", TEAMS1)) == 1

    run(flow, max_calls=1)


def test_media_relay_down_gives_503_and_no_invite() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(invite(), CARRIER)
        await settle()
        assert rig.wire.statuses("127.0.0.2")[-1] == 503
        assert rig.wire.requests("INVITE", TEAMS1) == []
        assert rig.manager.counters.failed == {"failed": 1}

    run(flow, fail_media=True)


def test_media_address_for_status() -> None:
    from sbc.b2bua.sdp import inactive, media_address

    assert media_address(SDP) == "127.0.0.2:7000"
    assert media_address(b"v=0\r\nm=audio 9 RTP/AVP 0\r\nc=IN IP6 ::1\r\n") == "[::1]:9"
    assert media_address(b"garbage") is None and media_address(None) is None
    assert inactive(SDP + b"a=inactive\r\n") and not inactive(SDP + b"a=sendonly\r\n")


def test_answers_to_the_caller_echo_its_record_route() -> None:
    async def flow(rig: Rig) -> None:
        request = parse_datagram(invite().to_bytes().replace(
            b"Max-Forwards: 70\r\n",
            b"Max-Forwards: 70\r\nRecord-Route: <sip:127.0.0.2:5080;lr>\r\n"))
        assert isinstance(request, Request)
        rig.deliver(request, CARRIER)
        await settle()
        rig.answer(rig.wire.requests("INVITE", TEAMS1)[0], 200, TEAMS1)
        await settle()
        ok = [m for m, d in rig.wire.sent if isinstance(m, Response) and m.status == 200
              and d.host == "127.0.0.2"][-1]
        assert ok.headers.get_all("Record-Route") == ["<sip:127.0.0.2:5080;lr>"]

    run(flow)


def test_200_without_ack_is_repeated_until_timer_l_then_the_call_ends() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(invite(), CARRIER)
        await settle()
        rig.answer(rig.wire.requests("INVITE", TEAMS1)[0], 200, TEAMS1)
        await advance(64 * 0.5 + 1)  # past 64*T1 with the RFC's T1: no ACK ever came
        await settle()
        oks = [m for m, d in rig.wire.sent if isinstance(m, Response) and m.status == 200
               and d.host == "127.0.0.2" and m.cseq.method == "INVITE"]
        # the first, then at 0.5, 1.5, 3.5, 7.5, then every T2 = 4 s up to 31.5 s
        assert len(oks) == 11
        assert rig.wire.requests("BYE", TEAMS1)  # the call was ended
        assert rig.engine.counters.internal_errors == 0  # nothing sent after Timer L

    run(flow)


def test_invite_with_replaces_from_teams_takes_the_old_legs_place() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(invite(), CARRIER)
        await settle()
        out = rig.wire.requests("INVITE", TEAMS1)[0]
        rig.answer(out, 200, TEAMS1)
        await settle()
        ours = out.from_addr.tag
        body = b"v=0\r\no=- 5 5 IN IP4 127.0.0.4\r\ns=-\r\nt=0 0\r\nm=audio 6100 RTP/SAVP 8\r\n"
        text = (f"INVITE sip:sbc.lab.test:5061;transport=tls SIP/2.0\r\n"
                f"Via: SIP/2.0/TLS {TEAMS2}:5061;branch=z9hG4bKrep1\r\n"
                "Max-Forwards: 70\r\n"
                "From: <sip:+4930123456789@sip2.pstnhub.microsoft.com>;tag=new1\r\n"
                "To: <sip:+49301111111@sbc.lab.test>\r\n"
                "Call-ID: replacing@teams\r\nCSeq: 1 INVITE\r\n"
                f"Contact: <sip:{TEAMS2}:5061;transport=tls>\r\n"
                f"Replaces: {out.call_id};to-tag={ours};from-tag=t1\r\n"
                "Content-Type: application/sdp\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        request = parse_datagram(text)
        assert isinstance(request, Request)
        rig.deliver(request, Peer(TEAMS2, 5061, "tls"))
        await settle()
        assert rig.wire.statuses(TEAMS2)[-1] == 200  # the new dialog is answered ...
        (bye,) = rig.wire.requests("BYE", TEAMS1)  # ... and the replaced one ended
        assert bye.call_id == out.call_id
        (call,) = rig.manager.calls.values()
        assert [leg.dialog.id.call_id for leg in call.legs.values() if leg.dialog] == [
            "c1@127.0.0.2", "replacing@teams"]
        assert rig.wire.requests("BYE", "127.0.0.2") == []  # the caller saw nothing

    run(flow)


def test_invite_with_replaces_for_an_unknown_dialog_gets_481() -> None:
    async def flow(rig: Rig) -> None:
        request = parse_datagram(invite().to_bytes().replace(
            b"Max-Forwards: 70\r\n",
            b"Max-Forwards: 70\r\nReplaces: gone@x;to-tag=a;from-tag=b\r\n"))
        assert isinstance(request, Request)
        rig.deliver(request, CARRIER)
        await settle()
        assert rig.wire.statuses("127.0.0.2") == [481]

    run(flow)


def test_refer_to_a_teams_user_calls_teams_back_with_its_parameters() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(invite(), CARRIER)
        await settle()
        out = rig.wire.requests("INVITE", TEAMS1)[0]
        rig.answer(out, 200, TEAMS1)
        await settle()
        target = "sip:+4930555000111@sip.pstnhub.microsoft.com;user=phone;x-m=8:orgid:ab;x-t=cd"
        text = (f"REFER sip:sbc.lab.test:5061;transport=tls SIP/2.0\r\n"
                f"Via: SIP/2.0/TLS {TEAMS1}:5061;branch=z9hG4bKref1\r\n"
                f"From: {out.headers.get('To')};tag=t1\r\nTo: {out.headers.get('From')}\r\n"
                f"Call-ID: {out.call_id}\r\nCSeq: 5 REFER\r\nMax-Forwards: 70\r\n"
                f"Contact: <sip:{TEAMS1}:5061;transport=tls>\r\n"
                f"Refer-To: <{target}>\r\n"
                "Referred-By: <sip:+4930123456789@sip.pstnhub.microsoft.com;user=phone>\r\n"
                "Content-Length: 0\r\n\r\n").encode()
        refer = parse_datagram(text)
        assert isinstance(refer, Request)
        rig.deliver(refer, Peer(TEAMS1, 5061, "tls"))
        await settle()
        assert 202 in rig.wire.statuses(TEAMS1)
        notify = rig.wire.requests("NOTIFY", TEAMS1)[0]
        assert notify.body == b"SIP/2.0 100 Trying\r\n"
        rig.answer(notify, 200, TEAMS1)
        await settle()
        invites = rig.wire.requests("INVITE", TEAMS1)
        assert len(invites) == 2  # the call itself, and now the transfer target
        new = invites[1]
        assert new.call_id != out.call_id
        assert "x-m=8:orgid:ab" in str(new.uri) and str(new.uri).startswith(
            "sip:+4930555000111@sip.pstnhub.microsoft.com")
        rig.answer(new, 200, TEAMS1, tag="t2")
        await settle(40)
        final = rig.wire.requests("NOTIFY", TEAMS1)[-1]
        assert final.body == b"SIP/2.0 200 OK\r\n"
        assert final.headers.get("Subscription-State", "").startswith("terminated")
        assert rig.wire.requests("BYE", "127.0.0.2") == []  # the caller stays

    run(flow)


def test_rfc4475_torture_messages_leave_the_b2bua_standing() -> None:
    """Every RFC 4475 message, as the carrier, straight into the engine with the B2BUA
    behind it: each gets its answer or is dropped, nothing raises inside the SBC, and
    the SBC still answers OPTIONS afterwards (the INVITEs among them now reach routing)."""
    from pathlib import Path

    from sbc.core import OptionsResponder
    from sbc.sip import SipPeerError

    data = Path(__file__).resolve().parent.parent / "data" / "rfc4475"

    async def flow(rig: Rig) -> None:
        rig.engine.router.add("OPTIONS", OptionsResponder())
        for path in sorted(data.glob("*.dat")):
            raw = path.read_bytes()
            try:
                incoming = Incoming(source=CARRIER, local=("127.0.0.1", 5060),
                                    message=parse_datagram(raw), raw=raw)
            except SipPeerError as err:
                incoming = Incoming(source=CARRIER, local=("127.0.0.1", 5060), error=err,
                                    raw=raw)
            rig.engine.receive(incoming)
            await settle()
        for message, _ in rig.wire.sent:
            parse_datagram(message.to_bytes())  # everything we sent is well-formed SIP
        counters = rig.engine.counters
        assert counters.handler_errors == 0 and counters.internal_errors == 0
        options = parse_datagram(invite("z9hG4bKopt", "opt@x").to_bytes()
                                 .replace(b"INVITE sip:", b"OPTIONS sip:", 1)
                                 .replace(b"CSeq: 1 INVITE", b"CSeq: 1 OPTIONS"))
        assert isinstance(options, Request)
        rig.deliver(options, CARRIER)
        await settle()
        last = rig.wire.sent[-1][0]
        assert isinstance(last, Response) and last.status == 200

    run(flow)


def test_no_rtp_ends_the_call_with_bye_both_ways() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(invite(), CARRIER)
        await settle()
        rig.answer(rig.wire.requests("INVITE", TEAMS1)[0], 200, TEAMS1)
        await settle()
        (call,) = rig.manager.calls.values()
        assert call.answered_at is not None
        await rig.manager._watch_media(call.answered_at + 30)  # too early: nothing
        await settle()
        assert rig.wire.requests("BYE") == []
        await rig.manager._watch_media(call.answered_at + 61)  # rtpengine saw no RTP
        await settle()
        assert rig.wire.requests("BYE", TEAMS1) and rig.wire.requests("BYE", "127.0.0.2")
        assert call.record.cause == "no-rtp"

    run(flow)


def test_we_refresh_the_session_when_teams_makes_us_the_refresher() -> None:
    async def flow(rig: Rig) -> None:
        rig.deliver(invite(), CARRIER)
        await settle()
        out = rig.wire.requests("INVITE", TEAMS1)[0]
        rig.answer(out, 200, TEAMS1, headers=(("Session-Expires", "120;refresher=uac"),
                                              ("Allow", "INVITE, ACK, BYE, UPDATE")))
        await settle()
        (call,) = rig.manager.calls.values()
        teams = call.legs["b"]
        assert teams.timer is not None and teams.timer.we_refresh
        rig.manager._session_timers(teams.refreshed + 59)  # not yet (half is 60 s)
        await settle()
        assert rig.wire.requests("UPDATE", TEAMS1) == []
        rig.manager._session_timers(teams.refreshed + 61)
        await settle()
        (update,) = rig.wire.requests("UPDATE", TEAMS1)
        assert update.call_id == out.call_id and update.body == b""
        assert (update.headers.get("Session-Expires") or "").startswith("120")

    run(flow)
