"""The "Calls" section of docs/benchmarks.md, from one run of `python -m benchmarks calls`."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from .calls_peers import MEDIA_RATIO
from .report import skipped_reason
from .sip_ladder import LadderResult
from .sip_procs import NCPU

if TYPE_CHECKING:
    from .calls import Run


def _k(kib: float) -> str:
    return f"{kib:,.1f} KiB"


def _ladder(run: Run, label: str) -> LadderResult | None:
    return run.ladders.get(label)


def rate_cell(run: Run, label: str) -> str:
    result = _ladder(run, label)
    if result is None:
        return "not measured"
    if not result.best:
        return "none passed"
    text = f"{result.best:,}"
    if result.first_fail is None:
        text = f"≥ {text} (no step failed{'; ' + result.stopped if result.stopped else ''})"
    else:
        text += f" (first failing step: {result.first_fail:,})"
    return text


def cpu_cell(run: Run, label: str) -> str:
    result = _ladder(run, label)
    step = result.best_step if result is not None else None
    if step is None or step.us_per_request <= 0:
        return "-"
    rtpe = getattr(step, "rtpe_us_per_call", 0.0)
    extra = f"; rtpengine {rtpe:,.0f} µs" if rtpe else ""
    return f"{step.us_per_request:,.0f} µs ({step.server_cpu_pct:.0f} % of a core){extra}"


def _batch(run: Run, kind: str, i: int = 0) -> dict[str, Any] | None:
    batches = run.held.get(kind, {}).get("batches", [])
    return batches[i] if len(batches) > i else None


def held_cells(run: Run, kind: str) -> dict[str, str]:
    b = _batch(run, kind)
    if b is None:
        return {"held": "not measured", "mem": "-", "rtpe_mem": "-", "cpu": "-"}
    n = b["n"]
    before, plateau = b["before"], b["plateau"]
    held = (f"{b['peak']:,} of {n:,} up at once ({b['failed']:,} failed; started at "
            f"{b['rate']}/s, each held {b['hold_ms'] / 1000:g} s)")
    if kind == "SBC":
        mem = _k((plateau["server"]["rss"] - before["server"]["rss"]) / n) + " (VmRSS)"
    else:
        mem = (_k((plateau["server"]["pss"] - before["server"]["pss"]) / n)
               + " (Pss, all processes); shm "
               + _k((plateau["server"].get("shm", 0) - before["server"].get("shm", 0)) / n))
    rtpe_mem = "-"
    if plateau.get("rtpe_rss") is not None and before.get("rtpe_rss") is not None:
        rtpe_mem = _k((plateau["rtpe_rss"] - before["rtpe_rss"]) / n)
    cpu = (f"{1000 * b['server_cpu_s'] / n:.2f} ms; rtpengine "
           f"{1000 * b['rtpe_cpu_s'] / n:.2f} ms")
    return {"held": held, "mem": mem, "rtpe_mem": rtpe_mem, "cpu": cpu}


def leak_text(run: Run) -> str:
    b1, b2 = _batch(run, "SBC", 0), _batch(run, "SBC", 1)
    if b1 is None:
        return "The SBC's held-calls part did not run."
    parts = []
    for i, b in enumerate((b1, b2)):
        if b is None:
            continue
        a = b["after"]
        parts.append(
            f"batch {i + 1}: VmRSS {b['before']['server']['rss'] / 1024:.1f} → "
            f"{b['plateau']['server']['rss'] / 1024:.1f} (all {b['n']:,} up; "
            f"{b['plateau'].get('transactions')} transactions) → "
            f"{a['server']['rss'] / 1024:.1f} MiB after ({b['settled_s']:.0f} s after the "
            f"last BYE: {a.get('transactions')} transactions, {a.get('sbc_active')} active "
            f"calls, rtpengine {a.get('rtpe_sessions')} sessions)")
    text = "; ".join(parts) + "."
    if b2 is not None:
        growth = b2["after"]["server"]["rss"] - b1["after"]["server"]["rss"]
        per = growth / max(b2["n"], 1)
        verdict = ("no leak seen: the second batch reused the memory the first left"
                   if per < 2 else f"the second batch grew VmRSS again by {_k(per)} per "
                   "call: memory is retained per call (a leak)")
        text += f" Between the two batches' ends: {growth / 1024:+.1f} MiB, {verdict}."
    return text


def steps_table(run: Run) -> str:
    lines = ["| step | target/s | achieved/s | ok | failed | retrans | mean rt ms | server "
             "CPU % | µs/call | rtpengine CPU % | SIPp caller / callee CPU % | other "
             "tenants % | SIP socket drops | RTP relayed | verdict |", "|" + "---|" * 15]
    for result in run.ladders.values():
        for s in result.steps:
            rtp = f"{getattr(s, 'rtp_pct', 0):.1f} %" if getattr(s, "media", False) else "-"
            lines.append(
                f"| {s.label} | {s.target:,} | {s.achieved:,.0f} | {s.ok:,} | {s.failed:,} | "
                f"{s.retrans:,} | {s.rtt_ms:.1f} | {s.server_cpu_pct:.0f} | "
                f"{s.us_per_request:,.0f} | {getattr(s, 'rtpe_cpu_pct', 0):.0f} | "
                f"{s.client_cpu_pct:.0f} / {getattr(s, 'callee_cpu_pct', 0):.0f} | "
                f"{s.background_pct:.0f} | {s.udp_drops} | {rtp} | {s.verdict} {s.note} |")
    return "\n".join(lines)


def held_table(run: Run) -> str:
    lines = ["| server, batch | calls up | before | all up | after | transactions up / "
             "after | rtpengine RSS before / up / after | CPU (server; rtpengine) | "
             "other tenants % |", "|" + "---|" * 8]
    for kind in ("SBC", "Kamailio"):
        for i, b in enumerate(run.held.get(kind, {}).get("batches", [])):
            key = "rss" if kind == "SBC" else "pss"
            name = "VmRSS" if kind == "SBC" else "Pss"

            def mem(state: dict[str, Any], key: str = key) -> str:
                shm = state["server"].get("shm")
                tail = f", shm {shm / 1024:.1f}" if shm is not None else ""
                return f"{state['server'][key] / 1024:.1f} MiB{tail}"

            rt = [b[s].get("rtpe_rss") for s in ("before", "plateau", "after")]
            lines.append(
                f"| {kind} {i + 1} ({name}) | {b['peak']:,} of {b['n']:,} | {mem(b['before'])} | "
                f"{mem(b['plateau'])} | {mem(b['after'])} | {b['plateau'].get('transactions')} "
                f"/ {b['after'].get('transactions')} | "
                + (" / ".join(f"{v / 1024:.1f}" for v in rt if v is not None) + " MiB")
                + f" | {b['server_cpu_s']:.2f} s; {b['rtpe_cpu_s']:.2f} s | "
                f"{b.get('busy_before', 0):.0f} |")
    return "\n".join(lines)


PROFILE_PART = "SBC profile"  # the part's name in run.skipped (calls.py)


def profile_missing(run: Run) -> str:
    """Why this run has no profile, as calls.py recorded it: a report without a profile
    says so and why, rather than print shares it does not have."""
    return skipped_reason(run.skipped, PROFILE_PART, "no reason was recorded")


def profile_text(run: Run) -> str:
    p = run.profile
    if not p:
        return wrap("Not measured in this run. No profile was taken "
                    f"({profile_missing(run)}), so there are no shares by area or by "
                    "function.")
    areas = "\n".join(f"| {name} | {pct:.1f} % |" for name, pct in p["areas"])
    own = "\n".join(f"| {name} | {pct:.1f} % |" for name, pct in p["own"])
    incl = "\n".join(f"| {name} | {pct:.1f} % |" for name, pct in p["inclusive"])
    kernel = p.get("stime_share")
    ktext = (f" The kernel's share of the SBC's CPU in that step (stime of utime + stime): "
             f"**{100 * kernel:.0f} %** (system calls: epoll, recvfrom, sendto on loopback)."
             if kernel is not None else "")
    loop = {"uvloop": " The SBC ran on uvloop: the loop's own work (libuv, epoll, the UDP "
                      "system calls) is C code, which py-spy shows as `Runner.run` and "
                      "cannot split further.",
            "asyncio": " The SBC ran on asyncio's own event loop (Python code)."
            }.get(p.get("loop") or "", "")
    intro = wrap(
        f"py-spy ({p.get('spy_version', 'py-spy')}) sampled the SBC from outside at 200 Hz "
        f"for {p.get('secs', '?')} s while SIPp called at {p['rate']}/s ({p['ok']:,} of "
        f"{p['sent']:,} calls completed; {p['samples']:,} samples of its busy threads). "
        "Shares are of the time the SBC was running: py-spy leaves out the threads it finds "
        "idle, and the samples it caught waiting all the same (in asyncio's selector on the "
        "way into or out of epoll_wait, or the executor thread in its queue; "
        f"{p.get('waiting_share', 0):.0f} % of all) are left out here too; file: "
        f"`{p['file']}` (open it in https://www.speedscope.app).{loop}{ktext}")
    return f"""{intro}

| area (where the sampled function lives, own time) | share |
|---|---|
{areas}

| function (own time) | share |
|---|---|
{own}

<details><summary>The SBC's functions by inclusive time (with what they call)</summary>

| SBC function | share |
|---|---|
{incl}

</details>"""


# functions that stand out in a profile, and what each says (shown when in the top list)
HOTSPOTS = (
    ("Runner.run", "the event loop's own work in C (uvloop: libuv, epoll, UDP system calls)"),
    ("_SelectorDatagramTransport.sendto", "one `sendto` system call per datagram"),
    ("_SelectorDatagramTransport._read_ready", "one `recvfrom` and a callback per datagram"),
    ("Handle._run", "the event loop running a callback or task step"),
    ("SipEngine.now", "the loop's clock read many times per message"),
    ("Cookies.next", "a fresh `os.urandom` system call for every rtpengine command's cookie"),
    ("__create_fn__", "dataclass construction: many small objects per message"),
    ("ip_address", "source addresses parsed into `ipaddress` objects again and again"),
    ("_ip_int_from_string", "source addresses parsed into `ipaddress` objects again and again"),
    ("_parse_sip", "SIP URIs parsed, several per message"),
    ("parse_via", "Via headers parsed"),
    ("_iso", "the CDR's times formatted"),
)


_GLUE = (" %", " µs", " s ")  # a figure and its unit stay on one line


def wrap(text: str, indent: str = "") -> str:
    """A sentence built from the run's figures, wrapped like the hand-written text."""
    for glue in _GLUE:
        text = text.replace(glue, glue.replace(" ", "\0", 1))
    text = textwrap.fill(text, width=88, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False)
    return text.replace("\0", " ")


def _func(name: str) -> str:
    return name.split(" (")[0]


def hotspots(run: Run) -> str | None:
    """The profile's known costly functions with their measured own shares, else its top
    three by own time; None without a profile (nothing measured, nothing to say)."""
    own: list[tuple[str, float]] = [(n, v) for n, v in run.profile.get("own", [])] \
        if run.profile else []
    if not own:
        return None
    seen: list[str] = []
    for name, pct in own:
        f = _func(name)
        for func, what in HOTSPOTS:
            known = f.startswith(func) or f.endswith(func)
            if known and what not in " ".join(seen):
                seen.append(f"{what} (`{_func(name)}`, {pct:.1f} %)")
    if seen:
        return "; ".join(seen)
    return "the top ones by own time, " + ", ".join(
        f"`{_func(name)}` ({pct:.1f} %)" for name, pct in own[:3])


def _by_area(run: Run) -> str | None:
    """The profile's areas of at least 1 % (own time), as measured; None without them."""
    areas = [(name, pct) for name, pct in run.profile.get("areas", []) if pct >= 1.0] \
        if run.profile else []
    if not areas:
        return None
    return ", ".join(f"{name} {pct:.0f} %" for name, pct in areas[:7])


def _cost(run: Run) -> str:
    """What a call costs the SBC (and Kamailio), from the signalling ladders' best steps."""
    sig, kam = _ladder(run, "SBC signalling"), _ladder(run, "Kamailio signalling")
    step = sig.best_step if sig is not None else None
    kstep = kam.best_step if kam is not None else None
    if step is None or step.us_per_request <= 0:
        return "This run has no passing SBC signalling step, so no CPU cost per call."
    text = (f"A call through the SBC costs it about {step.us_per_request:,.0f} µs of CPU at its "
            "highest passing rate")
    if kstep is not None and kstep.us_per_request > 0:
        text += f" ({kstep.us_per_request:,.0f} µs for Kamailio with its rtpengine module)"
    return text + "."


def _core(run: Run) -> str:
    """How close the SBC's one core was at its highest passing and its failing steps."""
    sig = _ladder(run, "SBC signalling")
    step = sig.best_step if sig is not None else None
    if sig is None or step is None:
        return "The SBC runs on one core at most (one event loop)."
    text = (f"The SBC runs on one core at most (one event loop): at its highest passing step "
            f"its process used {step.server_cpu_pct:.0f} % of one (the machine has {NCPU}; "
            "SIPp and rtpengine used the rest)")
    failing = [s.server_cpu_pct for s in sig.steps if s.verdict and not s.passed]
    if len(failing) == 1:
        text += f", and its failing step shows it at {failing[0]:.0f} %"
    elif failing:
        text += (f", and its failing steps show it at {min(failing):.0f}–"
                 f"{max(failing):.0f} %")
    return text + "."


def advice(run: Run) -> str:
    """What would raise the SBC's calls/s: the general advice always, the profile's
    measured shares only when there is a profile (never placeholders)."""
    from .calls import KAM_CHILDREN

    p = run.profile
    loop = p.get("loop") if p else None
    areas = {name: pct for name, pct in p.get("areas", [])} if p else {}
    own = {_func(name): pct for name, pct in p.get("own", [])} if p else {}

    found = []
    by_area, standout = _by_area(run), hotspots(run)
    if by_area:
        found.append(f"By area (own time): {by_area}.")
    if standout:
        found.append(f"What stands out among the functions: {standout}.")
    measured = ("\n\n" + wrap(" ".join(found))) if found else ""

    items = [
        "**More cores**: several `sbc` worker processes sharing the SIP port (SO_REUSEPORT). "
        "The kernel spreads datagrams by source address, so a call's two legs (two peers) "
        "land in different workers: they need a hand-off by Call-ID, or each worker owns "
        "some connections. One event loop never uses more than one core."]
    if loop == "asyncio":
        share = areas.get("asyncio event loop, tasks, futures, UDP transports")
        here = f" ({share:.0f} % here)" if share is not None else ""
        items.append(
            "**A faster event loop**: this run's SBC ran on asyncio's own loop; uvloop "
            "(libuv) does the loop's own work and the UDP transports (`_read_ready`, "
            f"`sendto`, `Handle._run`){here} in C: `sbc run` takes it when it is installed.")
    elif loop is None:
        items.append(
            "**A faster event loop**: uvloop (libuv) does the loop's own work and the UDP "
            "transports (`_read_ready`, `sendto`, `Handle._run` on asyncio's loop) in C; "
            "`sbc run` takes it when it is installed (`--event-loop`).")
    parses = [f"`{label}` {pct:.0f} %" for label, pct in (
        ("ipaddress", areas.get("ipaddress")), ("_parse_sip", own.get("_parse_sip")),
        ("parse_via", own.get("parse_via"))) if pct]
    parsed = f" (here {', '.join(parses)} of the SBC's time)" if parses else ""
    items.append(
        "**Less work per message**: parse headers lazily (only those a B2BUA reads); keep "
        f"the parsed Via, URIs and source address instead of parsing them again{parsed}; "
        "read the loop's clock once per message; build the other leg's message by editing "
        "the parsed one rather than from header objects.")
    items.append(
        "**Cheaper rtpengine exchanges**: three ng commands per call are needed, but each "
        "costs a bencode encode and decode, a future, and an `os.urandom` call for its "
        "cookie (a counter after a random prefix is enough to match replies).")
    numbered = "\n".join(wrap(f"{i}. {item}", "   ") for i, item in enumerate(items, 1))
    return f"""{wrap(_cost(run))}
About 18 datagrams per call pass its one event loop (INVITE, 100, 180 and 200 on each
leg, ACK, BYE and its 200 on each leg, and the offer, answer and delete exchanged with
rtpengine), and each SIP message is parsed into header objects, validated, run through
a transaction and a dialog, and rebuilt for the other leg. A proxy does less by design
(one transaction per request, no second dialog, messages forwarded with a few headers
changed), and Kamailio does it in C across {KAM_CHILDREN} worker processes.
{wrap(_core(run))}{measured}

What would raise the calls/s figure, roughly in order of gain per effort:
{numbered}"""


def body(run: Run, versions: dict[str, str], load0: str) -> str:
    from . import calls as c

    sbc_held, kam_held = held_cells(run, "SBC"), held_cells(run, "Kamailio")
    busy = sorted(run.busy)
    busy_text = (f"{busy[0]:.0f}–{busy[-1]:.0f} % of a core (median "
                 f"{busy[len(busy) // 2]:.0f} %) just before the steps" if busy else
                 "not sampled")
    problems = ("\n".join(f"- {p}" for p in run.problems) if run.problems
                else "- none: no warnings or errors in the servers' logs, every passing step "
                     "left the SBC with 0 active calls")
    skipped = f"\n\nSkipped in this run: {', '.join(run.skipped)}." if run.skipped else ""
    rows = [
        ("calls/s, signalling only: SDP anchored in rtpengine, no RTP; < 0.1 % failed",
         rate_cell(run, "SBC signalling"), rate_cell(run, "Kamailio signalling")),
        ("server CPU per call at that rate", cpu_cell(run, "SBC signalling"),
         cpu_cell(run, "Kamailio signalling")),
        (f"calls/s with media: each call {c.MEDIA_HOLD_MS / 1000:g} s of G.711 both ways "
         "through rtpengine", rate_cell(run, "SBC media"), rate_cell(run, "Kamailio media")),
        ("concurrent calls held (signalling only)", sbc_held["held"], kam_held["held"]),
        ("memory per held call, server (with the calls' INVITE transactions, alive 32 s)",
         sbc_held["mem"], kam_held["mem"]),
        ("memory per held call, rtpengine", sbc_held["rtpe_mem"], kam_held["rtpe_mem"]),
        ("CPU per call over the held batch (setup, hold, BYE, timers)", sbc_held["cpu"],
         kam_held["cpu"]),
        ("calls/s without rtpengine (tm + rr alone, for reference)", "-",
         rate_cell(run, "Kamailio no-rtpengine")),
        ("processes", "1 (one event loop, uvloop: one core at most) + rtpengine",
         f"{c.KAM_CHILDREN} UDP workers (+ timers, control) + rtpengine"),
    ]
    table = "| figure | OpenSBC (B2BUA) | Kamailio (stateful proxy, tm + rr) |\n|---|---|---|\n"
    table += "\n".join(f"| {a} | {b} | {k} |" for a, b, k in rows)
    return f"""
Command: `make bench` (runs `python -m benchmarks`), or this part alone:
`python -m benchmarks calls` (about {c.MAX_SECS // 60} minutes at most; knobs in
`benchmarks/calls.py`). Versions: OpenSBC {versions['sbc']} on Python {versions['python']},
Kamailio {versions['kamailio']}, rtpengine {versions['rtpengine']} (userspace
forwarding), SIPp {versions['sipp']}. Load average at the start: {load0}.

{table}

How: one run on one machine ({NCPU} cores), each part with a fresh server, a fresh
rtpengine and a fresh SIPp callee, all on 127.0.0.1 over UDP; SIPp drives both sides of
both servers with the same scenarios (`benchmarks/scenarios/calls_*.xml`). **Load on
the machine**: it is shared (other engineers' tests and image builds run there); other
work used {busy_text}; the per-step reading is the "other tenants" column below. Expect
tens of percent of run-to-run noise; only the side-by-side figures of one run compare.

- **Calls**: INVITE with SDP, 100, 180, 200 with SDP, ACK, (hold), BYE, 200; numbers in
  E.164 so that the SBC routes them (`routes: [{{from: Carrier, to: Pbx}}]`, two
  `profile: generic` UDP connections, no OPTIONS). The SBC is a B2BUA: two dialogs per
  call, rtpengine offer/answer/delete over its ng socket. Kamailio
  (`benchmarks/scenarios/kamailio-calls.cfg`) relays statefully with Record-Route and
  calls `rtpengine_offer`/`rtpengine_answer`/`rtpengine_delete` for the same anchoring.
- **Rates**: the shared peer harness's method (`run_peer_baseline.sh`): the rate
  doubles from a start value until a {c.STEP_SECS} s step fails, then {c.REFINE}
  bisection steps. A step fails when failed calls reach 0.1 %, retransmissions 1 %, or
  SIPp started calls at under 95 % of the target rate; a media step also fails when
  rtpengine relayed under {100 * MEDIA_RATIO:.0f} % of the RTP expected (2 × 50 packets/s
  per answered call for its hold; above 100 % when BYEs are late and streams run
  longer). After a failed step the server, rtpengine and callee are started afresh (an
  overloaded B2BUA still holds the calls SIPp gave up on). A step that failed while other
  tenants used more than half a core is retried once. CPU is read from /proc/PID/stat
  over the steady middle of each step; µs/call = CPU / achieved rate.
- **Media**: SIPp's `rtp_stream` plays a G.711 u-law file (160-byte payloads every
  20 ms) from the ACK to the BYE on both sides, to the address rtpengine put in the SDP;
  rtpengine's `list totals` gives the packets relayed. SIPp never reads the RTP it
  receives, so its RTP sockets overflow; the drops column counts only the SIP and ng
  sockets. rtpengine's RTP ports ({c.RTP_MIN}–{c.RTP_MAX}) lie outside the kernel's
  ephemeral range, where every SIP and control port of the run is: rtpengine, Kamailio
  and SIPp bind with SO_REUSEADDR, and an RTP port that lands on a SIP port takes its
  datagrams (while this benchmark was written, Kamailio stalled at 0 % CPU that way).
- **Held calls**: after a warm-up, {c.HOLD_N:,} calls at {c.HOLD_RATE}/s (at most half
  the server's passing rate), each held long enough for all to be up at once (no RTP;
  the SBC's media watchdog would end a call after 60 s without RTP); memory read before,
  when all are up (SIPp's current calls), and after all ended and the server's
  transactions are gone (the SBC keeps a BYE's server transaction 32 s, RFC 3261
  Timer J). Memory per call = (all up − before)
  / calls. The SBC: VmRSS of its one process; Kamailio: Pss summed over its processes
  (its shared-memory pool counted once) and its shm `real_used`. The SBC runs the batch
  twice: memory that grows again after the second batch would be a leak.

Leak check (SBC): {leak_text(run)}

Problems seen in this run:
{problems}{skipped}

<details><summary>Every step of this run</summary>

{steps_table(run)}

</details>

<details><summary>The held batches</summary>

{held_table(run)}

</details>

### Where the SBC's time goes (calls, signalling only)

{profile_text(run)}

### What would raise the SBC's calls/s

{advice(run)}
"""
