"""The asyncio tasks around the sans-IO states, with a scripted engine and resolver:
what gets sent where, DNS failures, target failover, and what reaches the event log."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

from sbc.app.runtime import identity as runtime_identity
from sbc.config import loads
from sbc.core import SbcIdentity, SourceGate
from sbc.core.engine import Outcome
from sbc.resolve import ResolveError, Target
from sbc.services import (
    OptionsProbe,
    OptionsTask,
    RegistrationState,
    RegistrationTask,
    ServiceDeps,
)
from sbc.sip import Request, build_response
from sbc.transport import Peer

CONFIG = loads("""
sbc:
  fqdn: sbc.example.com
  public_ip: 192.0.2.5
  tls: {cert: /x/sbc.crt, key: /x/sbc.key, ca_bundle: /x/ca.pem}
connections:
  - name: Telekom
    profile: telekom-deutschlandlan
    line_number: "+4930123456780"
    auth_user: "555123456789"
    password: secret
""", "t.yaml")
CONN = CONFIG.connections[0]
A = Target("tcp", ipaddress.ip_address("198.51.100.1"), 5060, "reg.sip-trunk.telekom.de")
B = Target("tcp", ipaddress.ip_address("198.51.100.2"), 5060, "reg.sip-trunk.telekom.de")


@dataclass
class FakeEngine:
    identity: SbcIdentity
    script: list[Callable[[Request], Outcome]]
    sent: list[tuple[Request, Peer]] = field(default_factory=list)

    async def request(self, request: Request, dest: Peer, timeout: float | None = None
                      ) -> Outcome:
        self.sent.append((request, dest))
        return self.script.pop(0)(request)


@dataclass
class FakeResolver:
    answers: list[list[Target] | ResolveError]

    async def targets(self, conn: object) -> list[Target]:
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, ResolveError):
            raise answer
        return list(answer)


@dataclass
class FakeEvents:
    lines: list[tuple[str, tuple[object, ...], dict[str, object]]] = field(default_factory=list)

    def registration(self, *args: object, **kwargs: object) -> None:
        self.lines.append(("registration", args, kwargs))

    def options_status(self, *args: object, **kwargs: object) -> None:
        self.lines.append(("options", args, kwargs))


def _deps(engine: FakeEngine, resolver: FakeResolver, events: FakeEvents) -> ServiceDeps:
    return ServiceDeps(engine, resolver, SourceGate(CONFIG), events,
                       random=lambda n: bytes(n), uniform=lambda a, b: b)


def ok(status: int, *headers: tuple[str, str]) -> Callable[[Request], Outcome]:
    return lambda req: Outcome(build_response(req, status, to_tag="t", headers=list(headers)),
                               rtt=0.01)


def fail(reason: str, timed_out: bool = False) -> Callable[[Request], Outcome]:
    return lambda req: Outcome(None, reason, timed_out=timed_out)


def test_registration_round_with_challenge_and_failover() -> None:
    async def main() -> None:
        engine = FakeEngine(runtime_identity(CONFIG), [
            fail("connect failed: Connection refused"),  # A is down: try B
            ok(401, ("WWW-Authenticate", 'Digest realm="r", nonce="n", qop="auth"')),
            ok(200, ("Expires", "480")),
        ])
        events = FakeEvents()
        deps = _deps(engine, FakeResolver([[A, B]]), events)
        assert CONN.registration is not None
        reg = RegistrationState(CONN.name, CONN.registration, CONN.auth, random=deps.random,
                                uniform=lambda a, b: a)
        task = RegistrationTask(CONN, reg, deps)
        reg.start(0.0)
        await task.attempt()  # A refused -> B answers 401
        await task.attempt()  # B (sticky) -> 200
        assert [d.host for _, d in engine.sent] == ["198.51.100.1", "198.51.100.2",
                                                    "198.51.100.2"]
        assert "Authorization" in engine.sent[2][0].headers
        assert reg.state == "registered"
        assert events.lines == [("registration", ("Telekom", True), {
            "status": 200, "reason": "OK", "expires": 480, "retry_in": None,
            "registrar": "tcp reg.sip-trunk.telekom.de 198.51.100.2:5060"})]
        # Allowlist default: the registrar's resolved addresses are now allowed.
        assert deps.gate.allowed("198.51.100.2")

    asyncio.run(main())


def test_registration_dns_failure_is_logged_and_backed_off() -> None:
    async def main() -> None:
        engine = FakeEngine(runtime_identity(CONFIG), [])
        events = FakeEvents()
        deps = _deps(engine, FakeResolver([ResolveError("sip:reg", "no such domain")]), events)
        assert CONN.registration is not None
        reg = RegistrationState(CONN.name, CONN.registration, CONN.auth, random=deps.random,
                                uniform=lambda a, b: b)
        reg.start(0.0)
        await RegistrationTask(CONN, reg, deps).attempt()
        assert reg.state == "failed" and engine.sent == []
        kind, args, kwargs = events.lines[0]
        assert args == ("Telekom", False) and "DNS" in str(kwargs["reason"])
        assert kwargs["retry_in"] == 30.0

    asyncio.run(main())


def test_options_task_reports_changes_once() -> None:
    async def main() -> None:
        engine = FakeEngine(runtime_identity(CONFIG), [
            ok(200), ok(200), fail("timeout: no response", timed_out=True), ok(200)])
        events = FakeEvents()
        deps = _deps(engine, FakeResolver([[A, B]]), events)
        probe = OptionsProbe(CONN.name, interval=60)
        task = OptionsTask(CONN, probe, deps)
        for _ in range(4):
            await task.ping()
        # After a timeout, the second address is not tried in the same round.
        assert [d.host for _, d in engine.sent] == ["198.51.100.1"] * 4
        ups = [(args, kwargs) for kind, args, kwargs in events.lines if kind == "options"]
        assert [a[1] for a, _ in ups] == [True, False, True]
        assert ups[1][0][2] == "no response: timeout: no response"
        request = engine.sent[0][0]
        assert request.method == "OPTIONS" and request.headers.get("Allow")

    asyncio.run(main())
