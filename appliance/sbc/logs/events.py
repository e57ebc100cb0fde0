"""The SBC's event log: one call per thing an admin watching syslog wants to know.

Each method writes one human line ("Teams1: OPTIONS status up (200 OK, rtt 23 ms)")
plus the same facts as RFC 5424 structured data under SD-ID sbc@32473, so a log server
can filter on them. The MSGID names the kind of event (REGISTER, OPTIONS, TLS, ACL).
Logging never raises into the caller and never waits for the network.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Literal

from .factory import build_sinks
from .priority import Facility, Severity
from .rfc5424 import APP_NAME, SD_ID, SDElement, SyslogRecord, check_sd_name
from .settings import SyslogSettings
from .sinks import Sink, SinkStats

Clock = Callable[[], datetime]


class MsgId:
    """MSGID values (RFC 5424 §6.2.7: at most 32 printable characters)."""

    REGISTER = "REGISTER"
    OPTIONS = "OPTIONS"
    TLS = "TLS"
    ACL = "ACL"
    CDR = "CDR"
    LOG = "LOG"


def _local_now() -> datetime:
    return datetime.now().astimezone()


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class EventLog:
    """Formats events into records and hands them to every sink."""

    def __init__(
        self,
        sinks: Sequence[Sink] = (),
        *,
        hostname: str | None = None,
        facility: Facility = Facility.LOCAL0,
        app_name: str = APP_NAME,
        procid: str | None = None,
        clock: Clock = _local_now,
    ) -> None:
        self.sinks = list(sinks)
        self._hostname = hostname if hostname is not None else socket.gethostname()
        self._facility = facility
        self._app_name = app_name
        self._procid = procid if procid is not None else str(os.getpid())
        self._clock = clock
        self.errors = 0  # sink failures swallowed so that the SBC keeps running

    @classmethod
    def from_settings(cls, settings: SyslogSettings, *, clock: Clock = _local_now) -> EventLog:
        return cls(
            build_sinks(settings),
            hostname=settings.hostname,
            facility=settings.facility_code,
            clock=clock,
        )

    async def start(self) -> None:
        for sink in self.sinks:
            await sink.start()

    async def close(self) -> None:
        for sink in self.sinks:
            await sink.close()

    def stats(self) -> list[SinkStats]:
        return [sink.stats() for sink in self.sinks]

    def emit(
        self,
        severity: Severity,
        msgid: str | None,
        msg: str,
        params: Mapping[str, object] | None = None,
    ) -> SyslogRecord:
        """Send one line to all sinks; `params` become [sbc@32473 ...] (None values left out)."""
        sd: tuple[SDElement, ...] = ()
        if params:
            for name in params:
                check_sd_name(name)  # our own misuse: raise here, not in a sink
            sd = (SDElement.of(SD_ID, params),)
        record = SyslogRecord(
            severity=severity,
            msg=msg,
            msgid=msgid,
            structured_data=sd,
            timestamp=self._clock(),
            hostname=self._hostname,
            app_name=self._app_name,
            procid=self._procid,
            facility=self._facility,
        )
        for sink in self.sinks:
            try:
                sink.submit(record)
            except Exception:  # a broken sink must not break a SIP transaction
                self.errors += 1
        return record

    def registration(
        self,
        conn: str,
        ok: bool,
        *,
        status: int | None = None,
        reason: str | None = None,
        expires: int | None = None,
        retry_in: float | None = None,
        registrar: str | None = None,
    ) -> SyslogRecord:
        """A REGISTER transaction ended: 'telekom: registration succeeded, expires in 480 s'."""
        if ok:
            line = f"{conn}: registration succeeded"
            if expires is not None:
                line += f", expires in {expires} s"
        else:
            why = " ".join(str(x) for x in (status, reason) if x) or "no response"
            line = f"{conn}: registration failed ({why})"
            if retry_in is not None:
                line += f", retrying in {retry_in:.0f} s"
        params = {
            "conn": conn,
            "result": "ok" if ok else "failed",
            "status": status,
            "reason": reason,
            "expires": expires,
            "retry": None if retry_in is None else f"{retry_in:.0f}",
            "registrar": registrar,
        }
        severity = Severity.INFO if ok else Severity.WARNING
        return self.emit(severity, MsgId.REGISTER, line, params)

    def options_status(
        self,
        conn: str,
        up: bool,
        last_response: str | None = None,
        rtt_ms: float | None = None,
    ) -> SyslogRecord:
        """OPTIONS status changed: 'Teams1: OPTIONS status up (200 OK, rtt 23 ms)'.

        `last_response` is the status line's code and reason ("200 OK"); None means the
        peer did not answer at all.
        """
        details = [last_response or "no response"]
        if rtt_ms is not None:
            details.append(f"rtt {_ms(rtt_ms)} ms")
        line = f"{conn}: OPTIONS status {'up' if up else 'down'} ({', '.join(details)})"
        params = {
            "conn": conn,
            "status": "up" if up else "down",
            "response": last_response,
            "rtt_ms": None if rtt_ms is None else _ms(rtt_ms),
        }
        return self.emit(Severity.NOTICE if up else Severity.WARNING, MsgId.OPTIONS, line, params)

    def tls_failure(
        self,
        peer: str,
        reason: str,
        *,
        conn: str | None = None,
        direction: Literal["in", "out"] = "in",
    ) -> SyslogRecord:
        """A TLS handshake failed. Outgoing failures are errors (our trunk is down);
        incoming ones are warnings (anyone on the internet can cause them)."""
        where = "to" if direction == "out" else "from"
        line = f"TLS handshake {where} {peer} failed: {reason}"
        if conn:
            line = f"{conn}: {line}"
        params = {"conn": conn, "peer": peer, "dir": direction, "reason": reason}
        severity = Severity.ERR if direction == "out" else Severity.WARNING
        return self.emit(severity, MsgId.TLS, line, params)

    def dropped_source(
        self,
        addr: str,
        count: int,
        *,
        method: str | None = None,
        interval_s: float | None = None,
    ) -> SyslogRecord:
        """Requests from a source no connection allows were dropped without a reply.

        The caller aggregates: one line per source and interval, not one per packet.
        """
        line = f"dropped {_plural(count, 'request')} from {addr}"
        if interval_s is not None:
            line += f" in the last {interval_s:.0f} s"
        line += " (source not allowed by any connection"
        line += f"; last was {method})" if method else ")"
        params = {
            "src": addr,
            "count": count,
            "method": method,
            "interval_s": None if interval_s is None else f"{interval_s:.0f}",
        }
        return self.emit(Severity.WARNING, MsgId.ACL, line, params)
