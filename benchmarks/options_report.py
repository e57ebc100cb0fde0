"""The "OPTIONS" section of docs/benchmarks.md, from one run of `python -m benchmarks
options`: the side-by-side table, how it was measured, every step, where the SBC's time
goes and what would raise its figures."""

from __future__ import annotations

from pathlib import Path

from .calls_report import wrap
from .options import (
    HOLD,
    KAM_CHILDREN,
    KAM_TLS_CHILDREN,
    MAX_SECS,
    PROFILE_SECS,
    STEP_SECS,
    TLS_CONNS,
    Run,
)
from .report import skipped_reason
from .sip_procs import NCPU


def _best(run: Run, label: str) -> tuple[str, str]:
    result = run.ladders.get(label)
    if result is None:
        return "not measured", "-"
    step = result.best_step
    rate = f"{result.best:,}" if result.best else "none passed"
    if result.first_fail is None and result.steps:
        rate = f"≥ {rate} (no step failed{'; ' + result.stopped if result.stopped else ''})"
    fail = next((s for s in result.steps if s.target == result.first_fail), None)
    if fail is not None and "load client" in fail.note:
        rate += " (the load client was at a full core)"
    cpu = "-"
    if step is not None and step.us_per_request > 0:
        cpu = (f"{step.us_per_request:.0f} µs (≈ {1e6 / step.us_per_request:,.0f}/s per "
               "core of CPU)")
    return rate, cpu


def _mem(run: Run, label: str, key: str, count: int) -> str:
    points = run.memory.get(label, {}).get("points", [])
    point = next((p for p in points if p["connections"] == count), None)
    if point is None or f"{key}_per_conn_kib" not in point:
        return "-"
    text = f"{point[f'{key}_per_conn_kib']:.1f} KiB"
    opened = int(point.get("open", count))
    if opened < count:  # the figure is per connection actually open: say how many
        text += f" (only {opened:,} of {count:,} opened)"
    return text


def steps_table(run: Run) -> str:
    lines = ["| step | target/s | achieved/s | ok | failed | retrans (UDP) / late (TLS) | "
             "mean rt ms | server CPU % | µs/OPTIONS | generator CPU % | other tenants % | "
             "UDP drops (kernel, whole machine) | verdict |", "|" + "---|" * 13]
    for result in run.ladders.values():
        for s in result.steps:
            lines.append(
                f"| {s.label} | {s.target:,} | {s.achieved:,.0f} | {s.ok:,} | {s.failed:,} | "
                f"{s.retrans:,} | {s.rtt_ms:.1f} | {s.server_cpu_pct:.0f} | "
                f"{s.us_per_request:.0f} | {s.client_cpu_pct:.0f} | {s.background_pct:.0f} | "
                f"{s.udp_drops} | {s.verdict} {s.note} |")
    return "\n".join(lines)


PROFILE_PART = "SBC profile"  # the part's name in run.skipped (options.py)


def profile_missing(run: Run) -> str:
    """Why this run has no profile: what options.py recorded for the part, else the one
    way it ends without a record (the profiled SBC wrote no cProfile file)."""
    return skipped_reason(run.skipped, PROFILE_PART,
                          "the profiled SBC wrote no cProfile file; see the run's log")


def profile_text(run: Run) -> str:
    p = run.profile
    if not p:
        return wrap("Not measured in this run. No profile was taken "
                    f"({profile_missing(run)}), so there are no shares by stage or by "
                    "function.")
    stages = "\n".join(f"| {name} | {pct:.1f} % | {per:.2f} |"
                       for name, pct, per in p.get("stages", []))
    own = "\n".join(f"| {name} | {pct:.1f} % | {per:.1f} |" for name, pct, per in p["own"])
    cum = "\n".join(f"| {name} | {pct:.1f} % | {per:.1f} |" for name, pct, per in p["cumulative"])
    return f"""cProfile switched on for the middle of a SIPp run of {PROFILE_SECS} s at
{p['rate']}/s over UDP ({p['handled']:,} OPTIONS in the window): **{p['calls_per_request']:.0f}
function calls (Python and built-in) and {p['us_per_request']:.0f} µs per OPTIONS under the
profiler**, which inflates call-heavy code (compare the unprofiled µs/OPTIONS above). Shares
are of the time the SBC was busy (waiting in epoll left out); the rest of 100 % is the
asyncio event loop and the status writer.

| stage (cumulative: itself and what it calls) | share | calls per OPTIONS |
|---|---|---|
{stages}

| function (own time) | share | calls per OPTIONS |
|---|---|---|
{own}

<details><summary>The SBC's functions by cumulative share</summary>

| SBC function (cumulative) | share | calls per OPTIONS |
|---|---|---|
{cum}

</details>"""


def body(run: Run, versions: dict[str, str]) -> str:
    udp_sbc, udp_sbc_cpu = _best(run, "SBC udp")
    udp_kam, udp_kam_cpu = _best(run, "Kamailio udp")
    tls_sbc, tls_sbc_cpu = _best(run, "SBC tls")
    tls_kam, tls_kam_cpu = _best(run, "Kamailio tls")
    mem_rows = []
    for count in HOLD:
        mem_rows.append(
            f"| memory per idle mutual-TLS connection, {count:,} open | "
            f"{_mem(run, 'SBC', 'rss', count)} (VmRSS) | "
            f"{_mem(run, 'Kamailio', 'pss', count)} (Pss, all processes); "
            f"shm {_mem(run, 'Kamailio', 'shm', count)} |")
    kmem = run.memory.get("Kamailio", {}).get("baseline", {})
    smem = run.memory.get("SBC", {}).get("baseline", {})
    busy = run.busy_samples
    busy_text = (f"{min(busy):.0f}–{max(busy):.0f} % of a core (median "
                 f"{sorted(busy)[len(busy) // 2]:.0f} %)" if busy else "not sampled")
    idle_sbc = f"{smem.get('rss', 0) / 1024:.0f} MiB RSS"
    idle_kam = (f"{kmem.get('pss', 0) / 1024:.0f} MiB Pss over {kmem.get('processes', 0)} "
                "processes")
    workers = (f"UDP: {KAM_CHILDREN} workers; TLS: {KAM_TLS_CHILDREN} TCP/TLS worker "
               "(see Kamailio below)")
    counts = ", ".join(f"{c:,}" for c in HOLD)
    rmem_max = _read_int("/proc/sys/net/core/rmem_max")
    skipped = f"\n\nSkipped in this run: {', '.join(run.skipped)}." if run.skipped else ""
    if run.crashes:
        skipped += f"\n\nServer crashes in this run: {', '.join(run.crashes)}."
    return f"""
Command: `make bench` (runs `python -m benchmarks`), or this part alone:
`python -m benchmarks options` (about {MAX_SECS // 60} minutes at most; knobs in
`benchmarks/options.py`). Versions: OpenSBC {versions['sbc']} on Python {versions['python']},
Kamailio {versions['kamailio']}, SIPp {versions['sipp']}; TLS negotiated: {run.tls_version or '-'}.

| figure | OpenSBC | Kamailio |
|---|---|---|
| OPTIONS/s over UDP (highest passing step) | {udp_sbc} | {udp_kam} |
| server CPU per OPTIONS at that step, UDP | {udp_sbc_cpu} | {udp_kam_cpu} |
| OPTIONS/s over mutual TLS, {TLS_CONNS} persistent connections | {tls_sbc} | {tls_kam} |
| server CPU per OPTIONS at that step, TLS | {tls_sbc_cpu} | {tls_kam_cpu} |
{chr(10).join(mem_rows)}
| idle footprint before the connections | {idle_sbc} | {idle_kam} |
| processes answering | 1 (one event loop, uvloop: one core at most) | {workers} |

How: one run on one machine ({NCPU} cores), each part with a fresh server, all on
127.0.0.1. **Load on the machine**: the machine is shared (other engineers' QEMU boot
tests run there); just before the steps, other work used {busy_text}; the per-step
figure is the "other tenants" column below. Expect tens of percent of run-to-run noise;
only the side-by-side figures of one run compare.

- **Rates**: the method of the shared peer harness (`run_peer_baseline.sh`): the rate
  doubles from a start value until a {STEP_SECS} s step fails, then two bisection steps.
  A step fails when failed requests reach 0.1 %, retransmissions (UDP) or answers later
  than 500 ms (TLS, where nothing is retransmitted) reach 1 %, or the achieved rate is
  under 95 % of the target. A step that failed while other tenants used more than half a
  core is retried once.
- **UDP**: SIPp (`benchmarks/data/uac_options.xml`, the harness's scenario: one OPTIONS,
  expects 200, retransmits after 500 ms) with 4 MB socket buffers.
- **TLS**: Debian's SIPp is built without TLS, so a small asyncio client
  (`benchmarks/sip_tls.py`) sends OPTIONS at a steady rate over {TLS_CONNS} persistent
  mutual-TLS connections (client certificate with its chain from a test CA; both servers
  require and verify it), matching answers by CSeq. The same client for both servers;
  its CPU is in the "generator" column.
- **Memory**: idle connections held open by that client, each having answered one
  OPTIONS; first 4 to warm up (closed again), then the baseline, then {counts} in
  all. KiB per connection = (memory with N open − baseline) / N. The SBC is one process:
  VmRSS (and Pss, in the log). Kamailio is {kmem.get('processes', 0)} processes sharing a
  preallocated shared-memory pool (`-m 512`, touched lazily; the TLS module allocates
  OpenSSL's state there): their Pss summed over all processes counts each shared page
  once; shm `real_used` (`kamcmd core.shmmem`) is its own allocator's count.
- **Kamailio**: `benchmarks/data/kamailio-options.cfg` (from the harness's
  kamailio-bench.cfg): stateless `options_reply()` with Contact and Allow appended, as the
  SBC's 200 has them; sources outside 127.0.0.0/8 dropped; `-n {KAM_CHILDREN}`; TLS with
  `verify_certificate` and `require_certificate` on (mutual TLS, like the SBC). Its TLS
  runs with {KAM_TLS_CHILDREN} TCP worker (`-A TCP_CHILDREN={KAM_TLS_CHILDREN}`): Debian 12's
  Kamailio 5.6.3 with OpenSSL 3 reports double frees in its tls module and then crashes
  when several TCP workers handshake (kamailio issue #3791, addressed in later versions
  by `tls_threads_mode`); this run's TLS figure is therefore one core's worth, like the
  SBC's one event loop.
- **SBC**: `sbc run` with one generic connection allowing 127.0.0.0/8, UDP and TLS
  listeners, no trace, no OPTIONS sent. Its UDP socket asks for a 4 MiB receive buffer
  (like Kamailio's `maxbuffer`); the kernel caps it at net.core.rmem_max ({rmem_max}
  here). With the default buffer (208 KiB) the SBC lost datagrams from about 2,000/s on
  whenever other work preempted it.{skipped}

<details><summary>Every step of this run</summary>

{steps_table(run)}

</details>

### Where the SBC's time goes (OPTIONS over UDP)

{profile_text(run)}

### What would raise the SBC's figures

{advice(run)}
"""


def advice(run: Run) -> str:
    """What would raise the SBC's figures: the general advice always; the profile's
    measured calls, shares and parse counts only when there is a profile (no stand-ins)."""
    p = run.profile
    stages = {name: pct for name, pct, _ in p.get("stages", [])} if p else {}

    def share(what: str) -> str:
        pct = stages.get(what)
        return f" ({pct:.0f} % of its time)" if pct is not None else ""

    counts: dict[str, float] = p.get("counts", {}) if p else {}
    calls = f" with about {p['calls_per_request']:,.0f} function calls" \
        if p and "calls_per_request" in p else ""
    notes = []
    if "via" in counts and "uri" in counts:
        notes.append(f"{counts['via']:.0f} Via and {counts['uri']:.0f} URI parses per OPTIONS")
    if "lower" in counts:
        notes.append(f"headers keep their lookup key from parse time, so {counts['lower']:.0f} "
                     "`str.lower` calls per OPTIONS remain")
    reparse = f" ({'; '.join(notes)})" if notes else ""
    ips = f" ({counts['ip']:.0f} address parses per OPTIONS)" if "ip" in counts else ""
    kam = run.memory.get("Kamailio", {}).get("points", [])
    kam_conn = (f"{kam[-1]['pss_per_conn_kib']:.0f} KiB Pss" if kam and "pss_per_conn_kib"
                in kam[-1] else "not measured")
    mem = run.memory.get("SBC", {}).get("points", [])
    per_conn = f"{mem[-1]['rss_per_conn_kib']:.0f} KiB here" if mem and "rss_per_conn_kib" \
        in mem[-1] else "not measured in this run"
    work = wrap(
        f"The SBC answers each OPTIONS in one Python process{calls}: it parses every header "
        f"into objects{share('parse the datagram')}, validates the request as a "
        f"whole{share('validate the request')}, parsing From, To and the URIs again on the "
        f"way{reparse}, parses the source address again for the allowlist and the "
        f"connection lookup{ips}, runs a server transaction that lingers for Timer J (32 s "
        "over UDP) although OPTIONS needs no state, and builds the 200 from header "
        f"objects{share('OPTIONS handler: build and send the 200')}.")
    return f"""{work}
Kamailio parses lazily in C and answers statelessly. What would raise the figure, roughly
in order of gain per effort (`python -m benchmarks hotpath` counts each step exactly):
answer OPTIONS from allowed sources statelessly (no transaction: a retransmission just
gets another 200); parse From, To and the URIs once per message; cache the allowlist
decision and the matching connections per source address; skip the whole-request
validation for OPTIONS beyond what the 200 needs. Then more cores: one event loop uses
one core at most, so several `sbc` workers on one UDP port with SO_REUSEPORT (the kernel
spreads sources over them) would multiply the UDP figure on the appliance's cores. Over
TLS the per-message work is the same, plus OpenSSL, and several messages may arrive in
one read.

Memory per TLS connection: {per_conn} (Kamailio in this run: {kam_conn} per
connection). Python 3.11's asyncio SSL transport allocates and zero-fills a 256 KiB read
buffer per connection (`asyncio.sslproto.SSLProtocol.max_size`), although a TLS record
holds at most 16 KiB; the SBC sets it to one record, 18 KiB (`sbc.transport.tls`,
issue 14 step 3), which took an idle connection from 302 KiB to about 72 KiB."""


def _read_int(path: str) -> str:
    try:
        return f"{int(Path(path).read_text().split()[0]):,} bytes"
    except (OSError, ValueError, IndexError):
        return "unknown"
