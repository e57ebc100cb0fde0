"""`sbc status` as a table for people (the JSON document is for machines)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from .calls import CALL_HEADER, call_rows, counters_line


def _clock(t: object, now: float) -> str:
    if not isinstance(t, int | float):
        return "-"
    fmt = "%H:%M:%S" if abs(now - t) < 86400 else "%Y-%m-%d %H:%M"
    return time.strftime(fmt, time.localtime(t))


def _span(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    return f"{seconds // 86400}d"


def _registration(reg: dict[str, Any] | None, now: float) -> str:
    if not reg:
        return "-"
    state = str(reg.get("state", "?"))
    code = reg.get("code")
    text = state + (f" ({code})" if code else "")
    expires_at = reg.get("expires_at")
    if state == "registered" and isinstance(expires_at, int | float):
        text += f", {_span(expires_at - now)} left"
    elif state == "failed":
        why = reg.get("error") or reg.get("reason")
        if why:
            text += f": {why}"
        nxt = reg.get("next_attempt")
        if isinstance(nxt, int | float):
            text += f", retry in {_span(nxt - now)}"
    return text


def _options_out(opt: dict[str, Any] | None) -> tuple[str, str]:
    if not opt:
        return "off", "-"
    state = str(opt.get("state", "?"))
    if opt.get("code"):
        text = f"{state} {opt['code']} {opt.get('reason') or ''}".rstrip()
    elif opt.get("error"):
        text = f"{state} ({opt['error']})"
    else:
        text = state
    rtt = opt.get("rtt_ms")
    return text, (f"{rtt:.1f} ms" if isinstance(rtt, int | float) else "-")


def _options_in(seen: dict[str, Any] | None, now: float) -> str:
    if not seen:
        return "never"
    last = seen.get("last_seen")
    ago = f" ({_span(now - last)} ago, {seen.get('count', 0)}x)" if isinstance(
        last, int | float) else ""
    return _clock(last, now) + ago


def _peer_cert(cert: dict[str, Any] | None) -> str:
    if not cert or cert.get("days_left") is None:
        return "-"
    return f"{cert['days_left']}d"


def _certificate_problems(cert: dict[str, Any]) -> list[str]:
    """The check findings (certs.assess) worth a line: warnings and failures."""
    report = cert.get("report") or {}
    lines = []
    for finding in report.get("findings") or []:
        if finding.get("level") in ("warn", "fail"):
            hint = f" ({finding['hint']})" if finding.get("hint") else ""
            lines.append(f"              {finding['level']}: {finding.get('message')}{hint}")
    return lines


def _table(header: Sequence[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [list(header), *rows]) for i in range(len(header))]
    lines = []
    for row in [list(header), *rows]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _acme_line(acme: dict[str, Any] | None) -> list[str]:
    """ACME renewal (`sbc.certs.acme.renew.status`), when the SBC reports it."""
    if not acme or not acme.get("configured"):
        return []
    renew_on = (acme.get("renew_on") or "")[:10]
    line = f"Renewal:      ACME, due {renew_on}" if renew_on else "Renewal:      ACME"
    result = acme.get("last_result")
    if result in ("failed", "rejected"):
        said = f"; the CA said: {acme['ca_error']}" if acme.get("ca_error") else ""
        line += f"; last attempt {result}: {acme.get('message')}{said}"
    elif result:
        line += f"; last: {result} {(acme.get('last_attempt') or '')[:10]}"
    return [line]


def format_status(doc: dict[str, Any], now: float | None = None) -> str:
    now = time.time() if now is None else now
    out: list[str] = []
    sbc = doc.get("sbc", {})
    started = doc.get("started")
    up = f", up {_span(now - started)}" if isinstance(started, int | float) else ""
    out.append(f"{doc.get('product', 'OpenSBC')}  {sbc.get('fqdn', '?')}  "
               f"(pid {doc.get('pid')}{up})")
    out.append("Listening:    " + (", ".join(sbc.get("listening", [])) or "nothing"))
    cert = doc.get("certificate") or {}
    if cert.get("error"):
        out.append(f"Certificate:  {cert['error']}")
    elif cert:
        days = cert.get("days_left")
        warn = "  << RENEW SOON" if isinstance(days, int) and days < 30 else ""
        out.append(f"Certificate:  {cert.get('subject')}, expires {cert.get('not_after')} "
                   f"({days} days left){warn}")
    out += _certificate_problems(cert)
    out += _acme_line(doc.get("acme"))
    reload = (doc.get("config") or {}).get("last_reload")
    if reload:
        state = "ok" if reload.get("ok") else "FAILED, running config kept"
        out.append(f"Last reload:  {_clock(reload.get('at'), now)} {state}")
        out += [f"              {e}" for e in reload.get("errors", [])]
    out.append("")
    rows = []
    waiting: dict[str, list[str]] = {}
    for conn in doc.get("connections", []):
        target = conn.get("target") or f"{conn.get('transport')} {conn.get('host')}"
        opt_text, rtt = _options_out(conn.get("options_out"))
        if conn.get("waiting"):
            waiting.setdefault(str(conn["waiting"]), []).append(str(conn.get("name")))
            opt_text = "waiting"
        since = _clock((conn.get("options_out") or {}).get("since"), now)
        rows.append([
            str(conn.get("name")),
            str(target),
            _registration(conn.get("registration"), now),
            opt_text,
            rtt,
            since,
            _options_in(conn.get("options_in"), now),
            _peer_cert(conn.get("certificate")),
        ])
    header = ["CONNECTION", "TARGET", "REGISTRATION", "OPTIONS OUT", "RTT", "SINCE",
              "OPTIONS IN", "PEER CERT"]
    out.append(_table(header, rows) if rows else "No connections configured.")
    out += [f"{', '.join(names)}: {why}" for why, names in waiting.items()]
    out.append("")
    calls = doc.get("calls")
    if isinstance(calls, dict):  # absent in the status of an SBC without calls
        counters = calls.get("counters")
        out.append(counters_line(counters if isinstance(counters, dict) else {}))
        call_table = call_rows(calls, now)
        out.append(_table(CALL_HEADER, call_table) if call_table else "No active calls.")
        out.append("")
    dropped = doc.get("dropped") or {}
    sources = dropped.get("sources") or {}
    if dropped.get("total"):
        top = sorted(sources.items(), key=lambda kv: -kv[1].get("count", 0))[:5]
        listed = ", ".join(f"{host} ({info.get('count')})" for host, info in top)
        out.append(f"Dropped (source not allowed): {dropped['total']} from "
                   f"{len(sources)} source(s): {listed}")
    else:
        out.append("Dropped (source not allowed): 0")
    engine = doc.get("engine") or {}
    out.append(f"Malformed from allowed sources: {engine.get('malformed', 0)} "
               f"({engine.get('error_answers', 0)} answered)")
    trace = doc.get("trace") or {}
    if trace.get("active"):
        out.append(f"Trace: on, {trace.get('path')} ({trace.get('messages', 0)} messages)")
    else:
        out.append("Trace: off")
    return "\n".join(out)
