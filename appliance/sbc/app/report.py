"""What `sbc run` reports about its own certificate and ACME renewal in status.json."""

from __future__ import annotations

from typing import Any

from ..certs import CertError
from ..certs.compat import not_after
from ..certs.paths import CertPaths
from ..certs.pem import load_certificates
from ..config import Config
from .readiness import TlsState


def acme_info(config: Config) -> dict[str, Any] | None:
    """ACME renewal for the status (days left, when due, the last result and the CA's
    message); None without an `acme:` section. Computed with the certificate (start,
    reload, hourly), not at every status write."""
    if config.acme is None:
        return None
    from ..certs.acme.renew import status as acme_status  # the acme library: only if used

    try:
        return acme_status(config.acme, config.sbc.fqdn, CertPaths(config.sbc.tls.cert.parent))
    except (OSError, ValueError) as exc:
        return {"configured": True, "error": f"cannot read the ACME state: {exc}"}


def certificate_info(config: Config, tls: TlsState | None = None) -> dict[str, Any]:
    """The SBC's own certificate for the status: subject, expiry and the check findings."""
    path = config.sbc.tls.cert
    if not path.is_file():
        return {"path": str(path), "missing": True,
                "error": tls.reason if tls and tls.reason else f"{path} does not exist"}
    report = tls.report.as_dict() if tls is not None and tls.report is not None else None
    try:
        certs = load_certificates(path.read_bytes(), str(path))
    except (OSError, CertError, ValueError) as exc:
        return {"path": str(path), "error": f"cannot read {path}: {exc}", "report": report}
    leaf = certs[0]
    names = [a.value for a in leaf.subject if a.oid.dotted_string == "2.5.4.3"]
    end = not_after(leaf)
    return {
        "path": str(path),
        "subject": str(names[0]) if names else leaf.subject.rfc4514_string(),
        "not_after": end.strftime("%Y-%m-%d %H:%M UTC"),
        "not_after_ts": end.timestamp(),
        "report": report,
    }
