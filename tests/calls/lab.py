"""The call lab: a fresh `sbc run` between a SIPp carrier and three SIPp "Teams" proxies.

    registrar = lab.registrar()                            # the SBC registers at start
    lab.start()                                            # TLS relays, then the SBC
    lab.wait_registered()
    teams = lab.teams_uas(1, "teams_answer.xml")           # Teams1 answers
    carrier = lab.carrier_uac("carrier_call.xml")          # the carrier calls
    lab.check(carrier, teams, registrar)                   # every SIPp exited 0
    invite = teams.one("INVITE")                           # what the SBC sent Teams1

Everything on 127.0.0.1: the carrier is a Telekom DeutschlandLAN connection whose host
(reg.sip-trunk.telekom.de) the host map sends to `carrier_port`, where a SIPp registrar
(carrier_answer.xml, REGISTER branch) or carrier UAS listens; Teams1-3 are SIPp over TCP
behind peers/tlsrelay.py (mutual TLS with the test CA's sip/sip2/sip3 certificates), the
way the real proxies talk TLS. SIPp scenarios are in scenarios/; each scenario's
<Global variables> get their values from DEFAULTS unless the test gives them.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from media.rtpengine import Rtpengine
from peers.sbcproc import (
    AUTH_USER,
    FQDN,
    LINE,
    PASSWORD,
    TEAMS,
    Pki,
    Ports,
    SbcProcess,
    Sipp,
    free_port,
    sbc_yaml,
    wait_until,
)
from peers.tlsrelay import TlsRelay
from sbc.media import ng

from .sipmsg import SipMessage, read_messages

SCENARIOS = Path(__file__).resolve().parent / "scenarios"

# The numbers of the lab: a Teams user (+4930123456789, the company's number), called from
# the PSTN in the carrier's national format, and calling out to +4930987654321.
TEAMS_USER_NATIONAL = "030123456789"
TEAMS_USER = "+4930123456789"
PSTN_CALLER_NATIONAL = "08912345678"
PSTN_CALLER = "+498912345678"
PSTN_CALLED = "+4930987654321"
TRANSFER_TARGET = "+4930555000111"
CARRIER = "Telekom"

DEFAULTS: dict[str, str] = {
    "fqdn": FQDN,
    "tls_port": "5061",
    "teams_host": TEAMS[0],
    "called": TEAMS_USER_NATIONAL,
    "calling": PSTN_CALLER_NATIONAL,
    "hold_ms": "300",
    "hangup": "0",
    "min_se": "0",
    "linger_ms": "300",
    "challenge": "0",
    "ringing": "1",
    "code": "603",
    "hold": "0",
    "refresh": "0",
    "target": TRANSFER_TARGET,
    # a key for SDP only; the media test puts its own
    "key": "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkw",
}


# Listening ports come from here, not from the kernel's ephemeral range (bind to port 0),
# where any process's next outgoing connection may take a port between our pick and the
# bind (seen: the relay's bind failing with EADDRINUSE while benchmarks ran alongside).
# Below the ephemeral range, and below rtpengine's window (tests/media/rtpengine.py).
def lab_port() -> int:
    """A port free for TCP and UDP on 127.0.0.1 now, never handed out before (shared with
    the peers tests' `free_port`, so the two never hand out the same port)."""
    return free_port()


def scenario_globals(scenario: Path) -> list[str]:
    match = re.search(r'<Global variables="([^"]*)"', scenario.read_text())
    return [name.strip() for name in match.group(1).split(",")] if match else []


def sipp_sets(scenario: Path, variables: dict[str, Any],
              role: dict[str, Any] | None = None) -> list[str]:
    """-set arguments for each of the scenario's variables: from `variables` (the test's:
    each must be one of the scenario's), else `role` (the lab's, for this kind of peer),
    else DEFAULTS; rtp_port defaults to a free UDP port nobody sends to."""
    names = scenario_globals(scenario)
    unknown = set(variables) - set(names)
    assert not unknown, f"{scenario.name} has no variables {sorted(unknown)}"
    given = {**(role or {}), **variables}
    sets: list[str] = []
    for var in names:
        if var in given:
            value = str(given[var])
        elif var == "rtp_port":
            value = str(free_port(socket.SOCK_DGRAM))
        else:
            value = DEFAULTS[var]
        sets += ["-set", var, value]
    return sets


class Peer:
    """One SIPp run in the lab."""

    def __init__(self, lab: CallLab, sipp: Sipp) -> None:
        self.lab = lab
        self.sipp = sipp
        self.name = sipp.name

    def wait(self) -> int:
        return self.sipp.wait()

    def report(self) -> str:
        return f"=== SIPp {self.name}\n{self.sipp.report()}"

    def messages(self) -> list[SipMessage]:
        return read_messages(self.sipp.workdir)

    def _select(self, direction: str, what: str | int, cseq: str | None) -> list[SipMessage]:
        out = []
        for msg in self.messages():
            if msg.direction != direction:
                continue
            if isinstance(what, int) or what.isdigit():
                if msg.status != int(what):
                    continue
            elif msg.method != what:
                continue
            if cseq is not None and msg.cseq_method != cseq:
                continue
            out.append(msg)
        return out

    def received(self, what: str | int, cseq: str | None = None) -> list[SipMessage]:
        """Requests by method ("INVITE") or responses by code (200, with `cseq` "BYE")."""
        return self._select("received", what, cseq)

    def sent(self, what: str | int, cseq: str | None = None) -> list[SipMessage]:
        return self._select("sent", what, cseq)

    def one(self, what: str | int, cseq: str | None = None) -> SipMessage:
        found = self.received(what, cseq)
        assert len(found) == 1, (
            f"{self.name}: expected one {what} {cseq or ''}, got {len(found)}\n"
            + self.lab.context(self))
        return found[0]

    def wait_received(self, what: str | int, cseq: str | None = None,
                      timeout: float = 5.0) -> SipMessage:
        found = self.lab.wait_for(lambda: self.received(what, cseq),
                                  f"{self.name} to receive {what} {cseq or ''}", timeout)
        return found[0]


@dataclass
class TeamsProxy:
    """Teams<n>: the relay's TLS port (in the SBC's host map), SIPp's TCP port behind it,
    and the relay's TCP port that carries SIPp's own requests to the SBC."""

    n: int
    tls: int
    sipp: int
    plain: int
    relay: TlsRelay | None = None

    @property
    def host(self) -> str:
        return TEAMS[self.n - 1]


class CallLab:
    def __init__(self, workdir: Path, pki: Pki, rtpengine: Rtpengine) -> None:
        self.workdir = workdir
        self.pki = pki
        self.engine = rtpengine
        same = lab_port()
        self.ports = Ports(udp=same, tcp=same, tls=lab_port())
        self.carrier_port = lab_port()
        self.teams = {n: TeamsProxy(n, lab_port(), lab_port(), lab_port()) for n in (1, 2, 3)}
        self.sbc: SbcProcess | None = None
        self.peers: list[Peer] = []
        self.media_before: set[str] = set()

    # --- the SBC --------------------------------------------------------------------

    def config(self, *, teams_options: bool = False, carrier_options: bool = False,
               failover_timeout: int = 10, extra: str = "", carrier_settings: str = "",
               teams_settings: str = "", max_calls: int = 20,
               public_ip: str = "127.0.0.1") -> str:
        """The SBC's sbc.yaml; `carrier_settings`, `teams_settings`: more lines under the
        Telekom or Teams entry (e.g. "    location: pass\n")."""
        connections = (
            f"  - name: {CARRIER}\n"
            "    profile: telekom-deutschlandlan\n"
            f'    line_number: "{LINE}"\n'
            f'    auth_user: "{AUTH_USER}"\n'
            f"    password: {PASSWORD}\n"
            f"    options: {'true' if carrier_options else 'false'}\n"
            "    allowlist: [127.0.0.1/32]\n"
            f"{carrier_settings}"
            "  - name: Teams\n"
            "    profile: teams-generic\n"
            f"    options: {'true' if teams_options else 'false'}\n"
            "    allowlist: [127.0.0.1/32]\n"
            f"{teams_settings}"
        )
        hosts = {"reg.sip-trunk.telekom.de": f"127.0.0.1:{self.carrier_port}"}
        hosts |= {proxy.host: f"127.0.0.1:{proxy.tls}" for proxy in self.teams.values()}
        sections = (
            "media:\n"
            f"  rtpengine: 127.0.0.1:{self.engine.ng_port}\n"
            f"  port_min: {self.engine.port_min}\n"
            f"  port_max: {self.engine.port_max}\n"
            "  no_rtp_timeout: 60\n"
            "calls:\n"
            f"  failover_timeout: {failover_timeout}\n"
            "  session_expires: 1800\n"
            "  min_se: 90\n"
            f"  max_calls: {max_calls}\n"
        )
        return sbc_yaml(self.pki, self.ports, connections=connections, hosts=hosts,
                        extra=sections + extra, public_ip=public_ip)

    def start(self, *, teams_listening: Iterable[int] = (1, 2, 3), **config: Any) -> SbcProcess:
        """Relays for the Teams proxies that listen (the others refuse connections), the
        SBC with `config(**config)`; remembers rtpengine's calls to find leaks later."""
        for n in teams_listening:
            proxy = self.teams[n]
            cert, key = self.pki.peers[proxy.host]
            proxy.relay = TlsRelay(cert=cert, key=key, ca=self.pki.ca, tls_port=proxy.tls,
                                   sipp_port=proxy.sipp, plain_port=proxy.plain,
                                   sbc_tls_port=self.ports.tls, sbc_name=FQDN).start()
        self.media_before = self.media_calls()
        directory = self.workdir / "sbc"
        directory.mkdir()
        self.sbc = SbcProcess(directory, self.config(**config)).start()
        return self.sbc

    def wait_for(self, predicate: Callable[[], object], what: str,
                 timeout: float = 5.0) -> Any:
        try:
            return wait_until(predicate, timeout, what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.context(*self.peers)}") from None

    def wait_registered(self, timeout: float = 5.0) -> None:
        assert self.sbc is not None
        sbc = self.sbc

        def registered() -> bool:
            reg = sbc.connection(CARRIER).get("registration") or {}
            return reg.get("state") == "registered"

        self.wait_for(registered, "the carrier registration", timeout)

    # --- SIPp peers -----------------------------------------------------------------

    def sipp(self, name: str, scenario: str, args: list[str], variables: dict[str, Any],
             timeout: float, role: dict[str, Any] | None = None) -> Peer:
        """SIPp with `scenario` and its variables (see `sipp_sets`)."""
        path = SCENARIOS / scenario
        sets = sipp_sets(path, variables, role)
        sipp = Sipp(self.workdir, name, str(path), [*args, *sets], timeout=timeout).start()
        peer = Peer(self, sipp)
        self.peers.append(peer)
        return peer

    def teams_uas(self, n: int, scenario: str, *, calls: int = 1, timeout: float = 10.0,
                  name: str | None = None, **variables: Any) -> Peer:
        proxy = self.teams[n]
        args = ["-t", "t1", "-i", "127.0.0.1", "-p", str(proxy.sipp), "-m", str(calls)]
        return self.sipp(name or f"teams{n}", scenario, args, variables, timeout,
                         {"teams_host": proxy.host})

    def teams_uac(self, scenario: str, *, timeout: float = 10.0, name: str = "teams_uac",
                  **variables: Any) -> Peer:
        args = ["-t", "t1", "-i", "127.0.0.1", "-p", str(lab_port()),
                f"127.0.0.1:{self.teams[1].plain}", "-m", "1"]
        return self.sipp(name, scenario, args, variables, timeout,
                         {"tls_port": self.ports.tls, "called": PSTN_CALLED,
                          "calling": TEAMS_USER})

    def carrier_uas(self, scenario: str = "carrier_answer.xml", *, calls: int = 2,
                    timeout: float = 10.0, name: str = "carrier", **variables: Any) -> Peer:
        """At the carrier's address: the registrar's REGISTER is one SIPp call, each
        INVITE another (so calls=2: registration and one call)."""
        args = ["-t", "t1", "-i", "127.0.0.1", "-p", str(self.carrier_port), "-m", str(calls)]
        return self.sipp(name, scenario, args, variables, timeout)

    def registrar(self) -> Peer:
        """Only the registration (REGISTER, 200): for tests where the carrier calls."""
        return self.carrier_uas(calls=1, name="registrar")

    def carrier_uac(self, scenario: str, *, timeout: float = 10.0, name: str = "carrier_uac",
                    **variables: Any) -> Peer:
        args = ["-t", "t1", "-i", "127.0.0.1", "-p", str(lab_port()),
                f"127.0.0.1:{self.ports.tcp}", "-m", "1"]
        return self.sipp(name, scenario, args, variables, timeout)

    # --- checks ---------------------------------------------------------------------

    def context(self, *peers: Peer) -> str:
        """SIPp's logs of `peers` and the tail of the SBC's log, for assertion messages."""
        parts = [peer.report() for peer in peers]
        if self.sbc is not None:
            parts.append(f"=== SBC log (tail)\n{self.sbc.output()[-6000:]}")
        return "\n".join(parts)

    def check(self, *peers: Peer) -> None:
        """Every SIPp in `peers` ran its scenario to the end (exit status 0)."""
        codes = {peer.name: peer.wait() for peer in peers}
        failed = [peer for peer in peers if codes[peer.name] != 0]
        assert not failed, (f"SIPp failed: {', '.join(p.name for p in failed)} ({codes})\n"
                            + self.context(*failed))

    def media_calls(self) -> set[str]:
        """The call-ids rtpengine has now (ng `list`)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(1.0)
            for attempt in range(3):
                cookie = f"calls{attempt}{time.monotonic_ns()}"
                sock.sendto(ng.frame(cookie, ng.list_calls()), ("127.0.0.1", self.engine.ng_port))
                with contextlib.suppress(TimeoutError):
                    while True:
                        got, reply = ng.unframe(sock.recv(65536))
                        if got == cookie:
                            return set(ng.call_ids(reply))
        raise AssertionError(f"rtpengine did not answer 'list'\n{self.engine.log()[-2000:]}")

    def assert_no_media_left(self, timeout: float = 3.0) -> None:
        """Every rtpengine session this test's SBC made is gone again."""
        def leaked() -> set[str]:
            return self.media_calls() - self.media_before

        deadline = time.monotonic() + timeout
        while leaked() and time.monotonic() < deadline:
            time.sleep(0.05)
        left = leaked()
        assert not left, f"rtpengine still has sessions {sorted(left)}\n{self.context()}"

    def close(self) -> None:
        for peer in reversed(self.peers):
            peer.sipp.kill()
        if self.sbc is not None:
            self.sbc.stop()
        for proxy in self.teams.values():
            if proxy.relay is not None:
                proxy.relay.stop()
