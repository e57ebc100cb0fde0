"""What the SBC can run with right now: the TLS side and each connection.

The SBC starts with what it has, in the order an admin sets a box up: UDP/TCP and the
carrier first, Teams once a certificate is imported. So a missing or unusable
certificate does not stop `sbc run`; it switches off the TLS listeners and the
connections over TLS, each with the reason shown in `sbc status`, and a reload with
a good certificate brings them up. A connection whose values are still the template's
waits too ("not configured yet: connections.Telekom.password"), instead of failing at
its peer.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from ..certs import CertError
from ..certs.assess import CertReport, assess_installed
from ..config import Config, Connection
from ..transport import TlsContexts

log = logging.getLogger(__name__)


def waiting_for_certificate(fqdn: str) -> str:
    return (f"waiting for a certificate (`sbc cert csr --fqdn {fqdn}`, have it signed, "
            "then `sbc cert import`)")


@dataclass(frozen=True)
class TlsState:
    """Contexts to use, or None with the reason the TLS side is off."""

    contexts: TlsContexts | None
    reason: str | None = None
    report: CertReport | None = None

    @property
    def active(self) -> bool:
        return self.contexts is not None


def needs_tls(config: Config) -> bool:
    return config.sbc.listener("tls") is not None or any(
        c.transport == "tls" for c in config.connections)


def load_tls(config: Config, now: dt.datetime | None = None) -> TlsState:
    """Check the installed certificate (certs.assess) and load it if usable."""
    tls = config.sbc.tls
    if not tls.cert.is_file() or not tls.key.is_file():
        return TlsState(None, waiting_for_certificate(config.sbc.fqdn))
    if not tls.ca_bundle.is_file():
        return TlsState(None, f"the CA bundle {tls.ca_bundle} does not exist "
                              "(`sbc cert bundle` builds it)")
    report = assess_installed(tls.cert, tls.key, tls.ca_bundle, config.sbc.fqdn, now=now)
    failed = [f for f in report.findings if f.level == "fail"]
    if failed:
        return TlsState(None, f"certificate not usable: {failed[0].text()}", report)
    try:
        contexts = TlsContexts.load(tls.cert, tls.key, tls.ca_bundle)
    except (CertError, OSError) as exc:
        return TlsState(None, f"certificate not usable: {exc}", report)
    return TlsState(contexts, None, report)


def waiting_reason(config: Config, conn: Connection, tls: TlsState) -> str | None:
    """Why `conn` is not started now, or None when it can run."""
    fields = config.unconfigured_for(conn)
    if fields:
        return "not configured yet: " + ", ".join(fields)
    if conn.transport == "tls" and not tls.active:
        return tls.reason or "TLS is off"
    return None


def log_certificate(report: CertReport | None) -> None:
    """Each warning and failure once per load, so the journal and syslog carry them."""
    if report is not None:
        report.log(log)
