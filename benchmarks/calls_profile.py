"""Where the SBC's time goes under calls: a summary of a py-spy speedscope file.

py-spy samples the running SBC from outside (`record --function`: it stops the process
for a moment per sample, 200 times a second), with no change to the SBC; threads it finds
idle are not sampled, so shares are of the SBC's busy time. The SBC runs on uvloop when
it is installed: the loop's own work is then C code under `Runner.run`, which py-spy
cannot see into, and the summary says which loop the samples show. The file opens in
https://www.speedscope.app for the whole picture.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

# (share label, path fragment): the first match names the area of a sample's leaf frame
AREAS = (
    ("SIP messages, parser, transactions, dialogs (sbc/sip)", "/sbc/sip/"),
    ("B2BUA calls and legs (sbc/b2bua)", "/sbc/b2bua/"),
    ("rtpengine client: ng, bencode, SDP (sbc/media)", "/sbc/media/"),
    ("engine and router (sbc/core)", "/sbc/core/"),
    ("routing (sbc/routing)", "/sbc/routing/"),
    ("transport (sbc/transport)", "/sbc/transport/"),
    ("status file (sbc/status)", "/sbc/status/"),
    ("logs and CDRs (sbc/logs)", "/sbc/logs/"),
    ("configuration objects (sbc/config)", "/sbc/config/"),
    ("other SBC code", "/sbc/"),
    ("asyncio event loop, tasks, futures, UDP transports", "/asyncio/"),
    ("selectors (epoll, returning events)", "/selectors.py"),
    ("dataclass-generated methods (__init__, __eq__)", "<string>"),
    ("logging", "/logging/"),
    ("json", "/json/"),
    ("ipaddress", "/ipaddress.py"),
    ("random, secrets, uuid", "/random.py"),
    ("dataclasses, enum, typing", "/dataclasses.py"),
    ("re", "/re/"),
)


def _short(path: str) -> str:
    for marker in ("/appliance/", "/python3.11/", "/site-packages/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


# uvloop's loop is C code: samples taken in it (libuv, epoll, recvfrom, sendto) end in the
# Python frame that started it, Runner.run; asyncio's own loop never ends a sample there
NATIVE_LOOP = "event loop in C (uvloop: libuv, UDP system calls, callbacks)"


def _area(name: str, path: str) -> str:
    if path.endswith("asyncio/runners.py") and name.split(" (")[0] == "Runner.run":
        return NATIVE_LOOP
    for label, fragment in AREAS:
        if fragment in path:
            return label
    if "/python3" in path:
        return "other standard library"
    return "other (native, site-packages)"


# py-spy counts some samples of waiting threads as running (on their way in or out of the
# system call): asyncio's selector in epoll_wait, and the default executor's thread (the
# status writer's `to_thread`) in its queue's get, whose own Python code is a few lines.
# They are waiting, and counted apart.
WAITING = (("selectors.py", ("EpollSelector.select", "select")),
           ("concurrent/futures/thread.py", ("_worker",)))


def _waiting(name: str, path: str) -> bool:
    func = name.split(" (")[0]
    return any(path.endswith(suffix) and func in funcs for suffix, funcs in WAITING)


def _asyncio_loop(name: str, path: str) -> bool:
    """Whether a frame is asyncio's own loop (it runs every callback when it is the loop)."""
    return path.endswith("asyncio/base_events.py") and name.split(" (")[0].endswith("_run_once")


def summarise(doc: dict[str, Any], top: int = 14) -> dict[str, Any]:
    """Shares (percent of the samples not waiting) by leaf function (own time), by area
    (own time), and the SBC's functions by inclusive time (the function and what it
    calls); `loop` is the event loop the samples show ("asyncio" or "uvloop")."""
    frames = doc.get("shared", {}).get("frames", [])
    names = []
    for f in frames:
        path = str(f.get("file") or "?")
        names.append((f"{f.get('name', '?')} ({_short(path)}:{f.get('line', '?')})", path))
    own: Counter[str] = Counter()
    area: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    total = waiting = 0.0
    count = 0
    asyncio_loop = False
    for prof in doc.get("profiles", []):
        samples = prof.get("samples", [])
        weights = prof.get("weights", [1] * len(samples))
        for stack, weight in zip(samples, weights, strict=False):
            if not stack:
                continue
            leaf_name, leaf_path = names[stack[-1]]
            if _waiting(leaf_name, leaf_path):
                waiting += weight
                continue
            total += weight
            count += 1
            own[leaf_name] += weight
            area[_area(leaf_name, leaf_path)] += weight
            asyncio_loop = asyncio_loop or any(_asyncio_loop(*names[i]) for i in stack)
            for name in {names[i][0] for i in stack if "/sbc/" in names[i][1]}:
                incl[name] += weight
    waiting_share = 100.0 * waiting / (total + waiting) if total + waiting else 0.0
    total = total or 1.0

    def shares(counter: Counter[str], n: int) -> list[tuple[str, float]]:
        return [(k, 100.0 * v / total) for k, v in counter.most_common(n)]

    loop = ("asyncio" if asyncio_loop else "uvloop") if count else None
    return {"samples": count, "waiting_share": waiting_share, "own": shares(own, top),
            "areas": shares(area, len(area)), "inclusive": shares(incl, top), "loop": loop}
