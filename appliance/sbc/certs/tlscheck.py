"""`sbc tls-check HOST:PORT`: what `openssl s_client -connect` did, with the answer spelled out.

It connects (optionally through a static host map, as the SBC's config has for labs), does
the handshake the SBC itself would do (SNI, the SBC's certificate and chain, the CA
bundle, host name check), prints the peer's chain, protocol and cipher, and turns a
failure into a sentence the admin can act on: an unknown issuer names the root to add, a
name mismatch names the names, a missing or rejected client certificate says so.

After a TLS 1.3 handshake the server judges our certificate only after the client has
finished, so the check waits `settle` seconds for a late alert before it says "ok".
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509

from . import compat
from .chain import is_self_signed, name_text, subject_text
from .errors import CertError
from .names import common_names, dns_sans, ip_sans, is_ip_address
from .tls import client_context
from .tlswire import ALERT_NAMES, HandshakeLog, attach

DEFAULT_PORT = 5061

# OpenSSL X509_V_ERR_* codes seen in SSLCertVerificationError.verify_code.
_UNABLE_TO_GET_ISSUER = 2
_NOT_YET_VALID = 9
_EXPIRED = 10
_DEPTH_ZERO_SELF_SIGNED = 18
_SELF_SIGNED_IN_CHAIN = 19
_UNABLE_TO_GET_ISSUER_LOCALLY = 20
_UNABLE_TO_VERIFY_LEAF = 21
_HOSTNAME_MISMATCH = 62
_IP_MISMATCH = 64

# Alerts a server sends when it does not like (or did not get) our certificate.
_CLIENT_CERT_ALERTS = {40, 42, 43, 44, 45, 46, 48, 49, 116}


@dataclass
class TlsCheckResult:
    """The outcome: `ok`, a `kind` for programs, an `explanation` for people, `details`."""

    ok: bool
    kind: str  # ok, dns, refused, timeout, unreachable, not_tls, unknown_issuer,
    # name_mismatch, expired, not_yet_valid, untrusted, client_cert_missing,
    # client_cert_rejected, protocol, tls, config (our own files are unusable)
    explanation: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "kind": self.kind,
            "explanation": self.explanation,
            "details": self.details,
        }

    def format_text(self) -> str:
        d = self.details
        lines = [
            f"Connecting to {d.get('host')}:{d.get('port')}"
            + (f" ({d['address']})" if d.get("address") not in (None, d.get("host")) else "")
            + (f", SNI {d['servername']}" if d.get("sni") else ", no SNI (IP address)")
        ]
        if d.get("client_certificate"):
            lines.append(f"Client certificate: {d['client_certificate']}")
        else:
            lines.append("Client certificate: none")
        if d.get("certificate_requested") is not None:
            asked = "yes" if d["certificate_requested"] else "no"
            lines.append(f"Server asked for a client certificate: {asked}")
        chain = d.get("peer_chain") or []
        if chain:
            lines.append("Server certificate chain:")
            for number, cert in enumerate(chain):
                lines.append(
                    f"  {number} subject: {cert['subject']}\n"
                    f"    issuer:  {cert['issuer']}\n"
                    f"    expires: {cert['not_after']}"
                    + (f"\n    names:   {', '.join(cert['names'])}" if cert["names"] else "")
                )
        if d.get("protocol"):
            lines.append(f"Protocol: {d['protocol']}, cipher {d['cipher']}")
        if d.get("alert_received"):
            lines.append(f"Alert from the server: {d['alert_received']}")
        lines += [f"note: {n}" for n in d.get("notes", [])]
        lines.append(("OK: " if self.ok else "FAILED: ") + self.explanation)
        return "\n".join(lines)


def parse_target(target: str) -> tuple[str, int | None]:
    """"host:port", "[v6]:port", "host" or a bare IPv6 address -> (host, port or None)."""
    target = target.strip()
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif target.count(":") == 1:
        host, _, port = target.partition(":")
    else:
        host, port = target, ""
    if not host:
        raise ValueError(f"no host in {target!r}")
    if not port:
        return host, None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"bad port in {target!r}")
    return host, int(port)


def tls_check(
    target: str,
    *,
    ca_bundle: Path,
    cert: Path | None = None,
    key: Path | None = None,
    servername: str | None = None,
    host_map: Mapping[str, str] | None = None,
    timeout: float = 5.0,
    settle: float = 1.0,
) -> TlsCheckResult:
    """Connect to `target` ("HOST[:PORT]", port 5061 by default) and judge the handshake.

    `cert`/`key` are the SBC's certificate (with chain) and key; None checks without a
    client certificate. `host_map` maps names to addresses ("127.0.0.1" or, used only
    when `target` has no port, "127.0.0.1:5081"), like the static host map of the config.
    """
    host, port = parse_target(target)
    address = host
    mapped = (host_map or {}).get(host.lower().rstrip("."))
    if mapped:
        address, mapped_port = parse_target(mapped)
        port = port or mapped_port
    port = port or DEFAULT_PORT
    name = servername or host
    details: dict[str, Any] = {
        "host": host,
        "port": port,
        "address": address,
        "servername": name,
        "sni": not is_ip_address(name),
        "ca_bundle": str(ca_bundle),
        "client_certificate": _client_cert_text(cert),
        "notes": [],
    }
    try:
        ctx = client_context(cert, key, ca_bundle)
    except CertError as exc:
        return TlsCheckResult(False, "config", str(exc), details)
    log = attach(ctx)
    try:
        sock = socket.create_connection((address, port), timeout=timeout)
    except socket.gaierror as exc:
        return _fail("dns", f"the name {address} does not resolve ({exc.strerror})", details)
    except ConnectionRefusedError:
        return _fail(
            "refused",
            f"{address} port {port} refused the connection: nothing listens there, or a "
            "firewall rejects it",
            details,
        )
    except TimeoutError:
        return _fail(
            "timeout",
            f"no answer from {address} port {port} within {timeout:g} s: the host is down, "
            "or a firewall drops the packets",
            details,
        )
    except OSError as exc:
        return _fail("unreachable", f"cannot reach {address} port {port}: {exc}", details)
    with sock:
        return _handshake(ctx, sock, name, log, details, cert, ca_bundle, timeout, settle)


def _handshake(
    ctx: ssl.SSLContext,
    sock: socket.socket,
    name: str,
    log: HandshakeLog,
    details: dict[str, Any],
    cert: Path | None,
    ca_bundle: Path,
    timeout: float,
    settle: float,
) -> TlsCheckResult:
    try:
        tls = ctx.wrap_socket(sock, server_hostname=name)
    except ssl.SSLCertVerificationError as exc:
        _record(log, details)
        return _verify_failure(exc, log, details, name, ca_bundle)
    except (ssl.SSLError, ConnectionError) as exc:
        _record(log, details)
        return _handshake_failure(exc, log, details, cert)
    except TimeoutError:
        _record(log, details)
        return _fail(
            "timeout",
            f"connected, but the TLS handshake got no answer within {timeout:g} s: is this a "
            "TLS port (5061), not plain SIP (5060)?",
            details,
        )
    with tls:
        cipher = tls.cipher()
        details["protocol"] = tls.version()
        details["cipher"] = cipher[0] if cipher else None
        if not log.peer_chain_der:
            leaf = tls.getpeercert(binary_form=True)
            log.peer_chain_der = [leaf] if leaf else []
        late: BaseException | None = None
        tls.settimeout(settle)
        try:
            if tls.recv(1) == b"":
                details["notes"].append("the server closed the connection after the handshake")
        except TimeoutError:
            pass  # the server is waiting for SIP: the handshake was accepted
        except (ssl.SSLError, ConnectionError) as exc:
            late = exc
        _record(log, details)
        if late is not None or log.alert_received not in (None, 0):
            return _handshake_failure(late, log, details, cert)
    chain = log.peer_chain
    if len(chain) == 1 and not is_self_signed(chain[0]):
        details["notes"].append(
            "the server sent no intermediate certificates (it verified only because the "
            "bundle has them); other peers may fail"
        )
    return TlsCheckResult(True, "ok", "the TLS handshake succeeded", details)


def _record(log: HandshakeLog, details: dict[str, Any]) -> None:
    details["peer_chain"] = [_cert_summary(c) for c in log.peer_chain]
    details["certificate_requested"] = log.certificate_requested if log.recording else None
    details["client_certificates_sent"] = log.client_certificates_sent
    if log.alert_received is not None:
        details["alert_received"] = ALERT_NAMES.get(
            log.alert_received, f"alert {log.alert_received}"
        )


def _cert_summary(cert: x509.Certificate) -> dict[str, Any]:
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_after": compat.not_after(cert).strftime("%Y-%m-%d %H:%M UTC"),
        "names": dns_sans(cert) + ip_sans(cert),
    }


def _client_cert_text(cert: Path | None) -> str | None:
    if cert is None:
        return None
    try:
        leaf = x509.load_pem_x509_certificate(cert.read_bytes())
    except (OSError, ValueError):
        return str(cert)
    return f"{subject_text(leaf)} ({cert})"


def _fail(kind: str, explanation: str, details: dict[str, Any]) -> TlsCheckResult:
    return TlsCheckResult(False, kind, explanation, details)


def _verify_failure(
    exc: ssl.SSLCertVerificationError,
    log: HandshakeLog,
    details: dict[str, Any],
    name: str,
    ca_bundle: Path,
) -> TlsCheckResult:
    chain = log.peer_chain
    code = exc.verify_code
    details["verify_error"] = exc.verify_message
    if code in (_HOSTNAME_MISMATCH, _IP_MISMATCH):
        names = (dns_sans(chain[0]) + ip_sans(chain[0]) or common_names(chain[0])) if chain else []
        return _fail(
            "name_mismatch",
            f"the certificate is for {', '.join(names) or 'another name'}, not {name}",
            details,
        )
    if code in (_UNABLE_TO_GET_ISSUER, _UNABLE_TO_GET_ISSUER_LOCALLY, _UNABLE_TO_VERIFY_LEAF,
                _SELF_SIGNED_IN_CHAIN, _DEPTH_ZERO_SELF_SIGNED):
        return _fail("unknown_issuer", _unknown_issuer_text(chain, code, ca_bundle), details)
    if code in (_EXPIRED, _NOT_YET_VALID):
        now = compat.now_utc()
        for cert in chain:
            if code == _EXPIRED and compat.not_after(cert) < now:
                return _fail(
                    "expired",
                    f"the server's certificate {subject_text(cert)} expired on "
                    f"{compat.not_after(cert):%Y-%m-%d}",
                    details,
                )
            if code == _NOT_YET_VALID and compat.not_before(cert) > now:
                return _fail(
                    "not_yet_valid",
                    f"the server's certificate {subject_text(cert)} is not valid before "
                    f"{compat.not_before(cert):%Y-%m-%d %H:%M} UTC: check this box's clock",
                    details,
                )
        kind = "expired" if code == _EXPIRED else "not_yet_valid"
        return _fail(kind, f"the server's certificate chain: {exc.verify_message}", details)
    return _fail(
        "untrusted", f"the server's certificate was not accepted: {exc.verify_message}", details
    )


def _unknown_issuer_text(chain: list[x509.Certificate], code: int, ca_bundle: Path) -> str:
    if not chain:
        return (
            f"the server's certificate was issued by a CA that is not in {ca_bundle}: add "
            "that root with `sbc cert add-ca`"
        )
    top = chain[-1]
    if code == _DEPTH_ZERO_SELF_SIGNED or (len(chain) == 1 and is_self_signed(top)):
        return (
            f"the server's certificate ({subject_text(top)}) is self-signed; trust it only "
            f"if you know it: `sbc cert add-ca`"
        )
    if is_self_signed(top):
        return (
            f"the server's certificate chain ends at the root {subject_text(top)}, which "
            f"is not in {ca_bundle}: add that root with `sbc cert add-ca`"
        )
    text = (
        f"the server's certificate was issued by {name_text(top.issuer)}, which is not in "
        f"{ca_bundle}: add that root with `sbc cert add-ca`"
    )
    if len(chain) == 1:
        text += (
            " (or the server does not send its intermediate certificate: then add "
            "the intermediate on the server)"
        )
    return text


def _handshake_failure(
    exc: BaseException | None,
    log: HandshakeLog,
    details: dict[str, Any],
    cert: Path | None,
) -> TlsCheckResult:
    text = str(exc) if exc is not None else ""
    if text:
        details["error"] = text
    alert = log.alert_received
    if alert is None:  # no message callback: take the alert from OpenSSL's reason text
        alert = next(
            (c for c, n in ALERT_NAMES.items() if f"alert {n.replace('_', ' ')}" in text.lower()),
            None,
        )
    alert_name = ALERT_NAMES.get(alert, f"alert {alert}") if alert is not None else None
    if any(s in text for s in _NOT_TLS):
        return _fail(
            "not_tls", "the server did not answer with TLS: is this a plain SIP port (5060)?",
            details,
        )
    if alert in (70, 71) or any(s in text for s in _NO_COMMON_PROTOCOL):
        return _fail(
            "protocol",
            "the server and the SBC share no TLS version or cipher suite: the SBC offers TLS "
            "1.2 or newer with ECDHE suites",
            details,
        )
    asked = log.certificate_requested
    # Without the callback we cannot see what we sent: a configured certificate is sent.
    cert_sent = cert is not None and log.client_certificates_sent != 0
    if not cert_sent and (
        asked or alert == 116 or (alert in _CLIENT_CERT_ALERTS and not log.recording)
    ):
        return _fail(
            "client_cert_missing",
            "the server asked for a client certificate and the SBC has none configured: "
            "import the SBC certificate with `sbc cert import`"
            if cert is None
            else "the server asked for a client certificate and the SBC sent none",
            details,
        )
    if cert_sent and alert in _CLIENT_CERT_ALERTS and (alert != 40 or asked):
        why = _REJECTION_REASONS.get(alert or 0, f"alert {alert_name}")
        return _fail(
            "client_cert_rejected",
            f"the server rejected the SBC's client certificate: {why}; Microsoft needs a "
            "public CA, the FQDN in CN and SAN, and clientAuth in the EKU "
            "(check with `sbc cert show`)",
            details,
        )
    if isinstance(exc, ConnectionError) or "EOF occurred" in text:
        return _fail(
            "tls",
            "the server closed the connection during the handshake"
            + (f" (alert {alert_name})" if alert_name else ""),
            details,
        )
    reason = getattr(exc, "reason", None)
    return _fail("tls", f"the TLS handshake failed: {reason or text or alert_name}", details)


_NOT_TLS = ("wrong version number", "record layer failure", "packet length too long")
_NO_COMMON_PROTOCOL = ("no shared cipher", "no protocols available", "unsupported protocol")
_REJECTION_REASONS = {
    40: "it ended the handshake after receiving it (handshake_failure)",
    42: "it finds the certificate bad (bad_certificate)",
    44: "it says the certificate was revoked",
    45: "it says the certificate expired",
    46: "it does not accept the certificate (certificate_unknown)",
    48: "it does not trust the CA that issued it (unknown_ca)",
}
