"""`python -m benchmarks hotpath`: what one OPTIONS costs the engine, counted, not timed.

The datagram is parsed and handed to the real `SipEngine` (allowlist, transaction layer,
the OPTIONS handler, the 200 serialized for a stand-in transport), under cProfile. The
count of function calls per OPTIONS and of the busiest functions does not depend on
the machine or on what else runs on it, so each step of issue 14 can be compared
exactly; the unprofiled microseconds are given for scale only. Sockets and the event
loop are left out: `python -m benchmarks options` measures those, beside Kamailio.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import time
from typing import Any

from sbc.app.runtime import identity
from sbc.config import loads
from sbc.core import OptionsResponder, SipEngine, SourceGate
from sbc.sip import parse_datagram
from sbc.transport import Incoming, Peer

from .report import write_section

WARMUP, MEASURED = 300, 3000
SOURCE = Peer("127.0.0.2", 5060, "udp")
CONFIG = """
sbc:
  fqdn: sbc.lab.test
  public_ip: 192.0.2.10
  listen: [{transport: udp, address: 127.0.0.1, port: 5060}]
connections:
  - {name: Prober, profile: generic, host: 127.0.0.2, transport: udp, options: false,
     allowlist: [127.0.0.2/32]}
"""


class _Wire:
    """The transport's place: serializes what the engine sends, as the real one does."""

    def __init__(self) -> None:
        self.sent = 0

    def send(self, message: Any, dest: Peer) -> None:
        message.to_bytes()
        self.sent += 1

    def flow_busy(self, peer: Peer) -> bool:
        return False


def options(n: int) -> bytes:
    """An OPTIONS as a Teams proxy or a carrier sends it, with its own branch and Call-ID."""
    return (f"OPTIONS sip:sbc.lab.test:5060 SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bK-{n}\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.2>;tag=a{n}\r\n"
            f"To: <sip:sbc.lab.test>\r\nCall-ID: {n}@127.0.0.2\r\nCSeq: 1 OPTIONS\r\n"
            f"Contact: <sip:127.0.0.2:5060>\r\nAccept: application/sdp\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


async def measure() -> dict[str, Any]:
    config = loads(CONFIG, "hotpath.yaml")
    engine = SipEngine(identity(config), SourceGate(config))
    engine.router.add("OPTIONS", OptionsResponder())
    wire = _Wire()
    engine.attach(wire)  # type: ignore[arg-type]  # a stand-in: send() and flow_busy()

    def one(data: bytes) -> None:
        engine.receive(Incoming(source=SOURCE, local=("127.0.0.1", 5060),
                                message=parse_datagram(data)))

    for n in range(WARMUP):
        one(options(n))
    batch = [options(WARMUP + n) for n in range(MEASURED)]
    profile = cProfile.Profile()
    profile.enable()
    for data in batch:
        one(data)
    profile.disable()
    plain = [options(10 * MEASURED + n) for n in range(MEASURED)]
    started = time.perf_counter()
    for data in plain:
        one(data)
    elapsed = time.perf_counter() - started
    engine.close()
    answered = wire.sent - WARMUP
    assert answered == 2 * MEASURED, f"{answered} answers to {2 * MEASURED} OPTIONS"
    stats = pstats.Stats(profile)
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][1])  # type: ignore[attr-defined]
    top = [(f"{fn} ({path.split('/sbc/')[-1]}:{line})" if line else fn, calls / MEASURED)
           for (path, line, fn), (_, calls, *_rest) in rows[:12]]
    lower = sum(v[1] for k, v in stats.stats.items()  # type: ignore[attr-defined]
                if k[2] == "<method 'lower' of 'str' objects>")
    return {"calls": stats.total_calls / MEASURED,  # type: ignore[attr-defined]
            "lower": lower / MEASURED, "us": elapsed / MEASURED * 1e6, "top": top}


def body(result: dict[str, Any]) -> str:
    lines = [
        "### What one OPTIONS costs the engine (counted)",
        "",
        "`python -m benchmarks hotpath`: an OPTIONS parsed and answered by the real "
        f"`SipEngine` {MEASURED} times under cProfile, sockets and event loop left out. "
        "Counts do not depend on the machine; the microseconds are for scale only.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| function calls per OPTIONS (Python and built-in) | {result['calls']:.0f} |",
        f"| `str.lower` calls per OPTIONS | {result['lower']:.0f} |",
        f"| µs per OPTIONS, unprofiled, one core | {result['us']:.0f} |",
        "",
        "| function | calls per OPTIONS |",
        "|---|---|",
        *(f"| {name} | {calls:.1f} |" for name, calls in result["top"]),
    ]
    return "\n".join(lines)


def main() -> int:
    result = asyncio.run(measure())
    text = body(result)
    print(text)
    write_section("hotpath", text)
    return 0
