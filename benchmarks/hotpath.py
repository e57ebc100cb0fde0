"""`python -m benchmarks hotpath`: what one OPTIONS, and one call, cost: counted, not timed.

The datagram is parsed and handed to the real `SipEngine` (allowlist, transaction layer,
the OPTIONS handler, the 200 serialized for a stand-in transport), under cProfile. The
count of function calls per OPTIONS and of the busiest functions does not depend on
the machine or on what else runs on it, so each step of issue 14 can be compared
exactly; the unprofiled microseconds are given for scale only. Sockets and the event
loop are left out: `python -m benchmarks options` measures those, beside Kamailio.

The second figure, one whole call through the engine and the B2BUA, is counted by
`hotpath_call`; both go into one section of docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import time
from dataclasses import dataclass, field
from types import CodeType
from typing import Any

from sbc.app.runtime import identity
from sbc.config import loads
from sbc.core import OptionsResponder, SipEngine, SourceGate
from sbc.sip import parse_datagram
from sbc.transport import Incoming, Peer

from . import hotpath_call
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


# -- one whole call (the driver is `hotpath_call`) -----------------------------------------

Func = tuple[str, int, str]  # (file, first line, name); ("~", 0, name) for a built-in
PARTS = {"sbc": "the engine and B2BUA (`sbc` code)", "asyncio": "the event loop and asyncio",
         "stand-ins": "the stand-ins (peers, media relay, driver)", "other": "unattributed"}


@dataclass
class _Function:
    """One function's line of the profile, with who called it how often."""

    func: Func
    calls: int = 0
    own: float = 0.0  # seconds in the function itself
    callers: dict[object, int] = field(default_factory=dict)  # `_key` -> calls


def _func(code: object) -> Func:
    if isinstance(code, CodeType):
        return code.co_filename, code.co_firstlineno, code.co_name
    return "~", 0, str(code)


def _key(code: object) -> object:
    """An entry's key: its code object (by identity: equal code objects are not one
    function), or the name the profiler gives a built-in."""
    return id(code) if isinstance(code, CodeType) else code


def _functions(entries: list[Any]) -> dict[object, _Function]:
    """The profiler's entries, by `_key`. Not `pstats`: it keys them by (file, line, name)
    and every dataclass-generated __init__ is ("<string>", 2, "__init__"), so all but one
    of them would drop out of the count."""
    out: dict[object, _Function] = {}
    for entry in entries:
        fn = out.setdefault(_key(entry.code), _Function(_func(entry.code)))
        fn.calls += entry.callcount
        fn.own += entry.inlinetime
    for entry in entries:
        caller = _key(entry.code)
        for sub in entry.calls or ():
            callee = out.get(_key(sub.code))
            if callee is not None:
                callee.callers[caller] = callee.callers.get(caller, 0) + sub.callcount
    return out


def _part(func: Func) -> str | None:
    path, _, name = func
    if "/sbc/" in path:
        return "sbc"
    if "/asyncio/" in path:
        return "asyncio"
    if path.endswith("hotpath_call.py"):  # the virtual clock stands in for the loop's own
        return "asyncio" if name in ("time", "select") else "stand-ins"
    return None


def _label(func: Func) -> str:
    path, line, name = func
    if not line:
        return name  # a built-in
    if "/sbc/" in path:
        where = path.split("/sbc/")[-1]
    elif "/asyncio/" in path:
        where = "asyncio/" + path.split("/asyncio/")[-1]
    elif path == "<string>":
        return f"{name} (generated by dataclasses; all of them)"
    else:
        where = path.rsplit("/", 1)[-1]
    return f"{name} ({where}:{line})"


def _parts(functions: dict[object, _Function]) -> dict[str, float]:
    """Calls by whose work they are: a built-in or library function (str.lower, re, a
    dataclass __init__) counts for the code that called it, in proportion."""
    memo: dict[object, dict[str, float]] = {}

    def owners(code: object, seen: frozenset[object]) -> dict[str, float]:
        fn = functions[code]
        own = _part(fn.func)
        if own is not None:
            return {own: 1.0}
        if code in memo:
            return memo[code]
        total = sum(fn.callers.values())
        if not total or code in seen:
            return {"other": 1.0}
        out: dict[str, float] = {}
        for caller, calls in fn.callers.items():
            for part, share in owners(caller, seen | {code}).items():
                out[part] = out.get(part, 0.0) + share * calls / total
        memo[code] = out
        return out

    totals = dict.fromkeys(PARTS, 0.0)
    for code, fn in functions.items():
        for part, share in owners(code, frozenset()).items():
            totals[part] += fn.calls * share
    return totals


def _merged(functions: dict[object, _Function]) -> list[_Function]:
    """One line per label (the generated __init__s share one)."""
    lines: dict[str, _Function] = {}
    for fn in functions.values():
        line = lines.setdefault(_label(fn.func), _Function(fn.func))
        line.calls += fn.calls
        line.own += fn.own
    return list(lines.values())


def measure_call() -> dict[str, Any]:
    """`hotpath_call.measure`, its profile boiled down to figures per call."""
    raw = hotpath_call.measure()
    functions = _functions(raw.pop("profile"))
    calls = raw["measured"]
    lines = _merged(functions)
    own_total = sum(fn.own for fn in lines) or 1.0

    def count(name: str, path: str = "") -> float:
        return sum(fn.calls for fn in lines
                   if fn.func[2] == name and fn.func[0].endswith(path)) / calls

    by_count = sorted(lines, key=lambda fn: -fn.calls)[:12]
    by_time = sorted(lines, key=lambda fn: -fn.own)[:12]
    return {
        **raw,
        "calls": sum(fn.calls for fn in lines) / calls,
        "parts": {k: v / calls for k, v in _parts(functions).items()},
        "lower": count("<method 'lower' of 'str' objects>"),
        "parsed": count("parse_datagram"),
        "serialized": count("to_bytes", "sip/message.py"),
        "top": [(_label(fn.func), fn.calls / calls) for fn in by_count],
        "slow": [(_label(fn.func), fn.own / own_total * 100, fn.calls / calls)
                 for fn in by_time],
    }


def call_body(result: dict[str, Any]) -> str:
    parts, media = result["parts"], result["media"]
    lines = [
        "### What one call costs the engine and B2BUA (counted)",
        "",
        f"`python -m benchmarks hotpath`, second part: {result['measured']} whole calls "
        f"(after {result['warmup']} to warm up), one after the other, under cProfile. Each: "
        "the carrier's INVITE with SDP over UDP, 100 Trying back, the INVITE on to Teams "
        "(TLS), Teams' 100, 180 and 200 with SDP, the 180 and 200 relayed, the SBC's ACK to "
        "Teams, the carrier's ACK, the carrier's BYE answered 200 and sent on, Teams' 200. "
        "Every message comes in as bytes and is parsed, every message sent is serialized, "
        "through the real `SipEngine` and `CallManager` (routing, transactions, dialogs, "
        "the B2BUA); after each call a virtual clock jumps past Timer L/M/J, so the timer "
        "work that ends the call's transactions is counted and nothing piles up. Left out: "
        "sockets and TLS, and the rtpengine client: a stand-in relay answers offer, answer "
        "and delete at once (the calls benchmark's profile measures the client). Counts do "
        "not depend on the machine; the microseconds are for scale only.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| function calls per call (Python and built-in) | {result['calls']:.0f} |",
        *(f"| of which {PARTS[k]} | {parts[k]:.0f} |" for k in PARTS if parts[k] >= 0.5),
        f"| `str.lower` calls per call | {result['lower']:.0f} |",
        f"| messages parsed / sent per call | {result['received']:.0f} / "
        f"{result['sent']:.0f} |",
        f"| `parse_datagram` / `to_bytes` calls per call | {result['parsed']:.0f} / "
        f"{result['serialized']:.0f} |",
        "| media relay commands per call | "
        f"{', '.join(f'{k} {v:g}' for k, v in media.items())} |",
        f"| µs per call, unprofiled, one core | {result['us']:.0f} |",
        "",
        "A built-in or library function counts for the code that called it; a generator "
        "counts once per item it yields. By call count:",
        "",
        "| function | calls per call |",
        "|---|---|",
        *(f"| {name} | {calls:.1f} |" for name, calls in result["top"]),
        "",
        "By own time under the profiler (which inflates small functions):",
        "",
        "| function | share of own time | calls per call |",
        "|---|---|---|",
        *(f"| {name} | {share:.1f} % | {calls:.1f} |" for name, share, calls in result["slow"]),
    ]
    return "\n".join(lines)


def main() -> int:
    result = asyncio.run(measure())
    call = measure_call()
    text = f"{body(result)}\n\n{call_body(call)}"
    print(text)
    write_section("hotpath", text)
    return 0
