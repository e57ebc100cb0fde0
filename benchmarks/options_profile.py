"""Where the SBC's time goes under OPTIONS: a summary of a cProfile file written by
`benchmarks/sip_profile.py` (switched on and off by SIGUSR1 in the middle of a SIPp run;
`options.run_profile` drives it). Shares are of the time the SBC was not waiting in
epoll; per-OPTIONS figures divide by the datagrams the UDP callback handled.
"""

from __future__ import annotations

import pstats
from pathlib import Path
from typing import Any

# (what, file suffix, function): stages of one OPTIONS, for the cumulative shares
STAGES = (
    ("the whole datagram (UDP callback)", "sbc/transport/udp.py", "datagram_received"),
    ("parse the datagram", "sbc/sip/parser.py", "parse_datagram"),
    ("validate the request", "sbc/sip/validate.py", "validate_request"),
    ("allowlist (SourceGate.allowed)", "sbc/core/sources.py", "allowed"),
    ("which connection (SourceGate.classify)", "sbc/core/sources.py", "classify"),
    ("transaction layer: new server transaction", "sbc/sip/transaction_layer.py", "receive"),
    ("OPTIONS handler: build and send the 200", "sbc/core/handlers.py", "__call__"),
    ("transaction layer: the 200 through the transaction", "sbc/sip/transaction_layer.py",
     "send_response"),
    ("serialize the 200", "sbc/sip/message.py", "to_bytes"),
    ("send (TransportManager.send)", "sbc/transport/manager.py", "send"),
    ("timers (Timer J expiries and the rest)", "sbc/core/engine.py", "_on_timer"),
)
WAITING = ("<method 'poll' of 'select.epoll' objects>", "<method 'select' of 'select.epoll'")


def top_functions(stats: pstats.Stats, handled: int) -> dict[str, Any]:
    """Shares of the time the SBC was not waiting in epoll (the profile's clock is wall
    time, which is cheap to read; waiting is taken out, what is left is running or
    being preempted while running, which spreads like the running time)."""
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    raw = {k: v for k, v in raw.items() if not k[2].startswith(WAITING)}
    total_cpu = sum(v[2] for v in raw.values()) or 1e-9
    calls = sum(v[1] for v in raw.values())

    def name(key: tuple[str, int, str]) -> str:
        path, line, func = key
        if path == "~":
            return func
        short = path.split("/appliance/", 1)[-1].split("/python3.11/", 1)[-1]
        return f"{func} ({short}:{line})"

    stages = []
    for what, suffix, func in STAGES:
        found = [v for k, v in raw.items() if k[0].endswith(suffix) and k[2] == func]
        if found:
            cum = sum(v[3] for v in found)
            stages.append((what, 100 * cum / total_cpu, sum(v[1] for v in found) / handled
                           if handled else 0.0))
    counted = {"via": ("sbc/sip/fields.py", "parse_via"), "uri": ("sbc/sip/uri.py", "parse_uri"),
               "lower": ("~", "<method 'lower' of 'str' objects>"),
               "ip": ("ipaddress.py", "_ip_int_from_string")}
    counts = {key: sum(v[1] for k, v in raw.items() if k[0].endswith(suffix) and k[2] == func)
              / max(handled, 1) for key, (suffix, func) in counted.items()}
    own = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:12]
    ours = [(k, v) for k, v in raw.items() if "/sbc/" in k[0]]
    cumulative = sorted(ours, key=lambda kv: kv[1][3], reverse=True)[:14]
    return {
        "handled": handled,
        "cpu_s": total_cpu,
        "calls_per_request": calls / handled if handled else 0.0,
        "us_per_request": 1e6 * total_cpu / handled if handled else 0.0,
        "stages": stages,
        "counts": counts,
        "own": [(name(k), 100 * v[2] / total_cpu, v[1] / max(handled, 1)) for k, v in own],
        "cumulative": [(name(k), 100 * v[3] / total_cpu, v[1] / max(handled, 1))
                       for k, v in cumulative],
    }


def read_profile(path: Path, rate: int) -> dict[str, Any]:
    """The run's `profile` figures from the cProfile file at `path` (taken at `rate`/s)."""
    stats = pstats.Stats(str(path))
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    handled = sum(v[1] for k, v in raw.items()
                  if k[0].endswith("sbc/transport/udp.py") and k[2] == "datagram_received")
    return {"rate": rate, **top_functions(stats, handled)}
