"""What the TLS handshake said, recorded from OpenSSL's message callback.

Python 3.11 (Debian 12) gives no peer chain (`get_unverified_chain` is 3.13) and does not
say whether the server asked for a client certificate or which alert it sent. OpenSSL's
message callback sees all of that, decrypted (TLS 1.3 hides it from the wire), and CPython
exposes it as `SSLContext._msg_callback` (3.8+, used by its own test suite). It is private,
so `attach` degrades to recording nothing when it is missing; `tlscheck` then explains from
the exception text alone.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

HANDSHAKE = 22  # record content types (RFC 8446 §5.1)
ALERT = 21
CERTIFICATE = 11  # handshake message types (RFC 8446 §4)
CERTIFICATE_REQUEST = 13
TLS13 = 0x0304

# RFC 8446 §6 alert descriptions (the ones a failed handshake produces).
ALERT_NAMES = {
    0: "close_notify",
    10: "unexpected_message",
    40: "handshake_failure",
    42: "bad_certificate",
    43: "unsupported_certificate",
    44: "certificate_revoked",
    45: "certificate_expired",
    46: "certificate_unknown",
    47: "illegal_parameter",
    48: "unknown_ca",
    49: "access_denied",
    50: "decode_error",
    51: "decrypt_error",
    70: "protocol_version",
    71: "insufficient_security",
    80: "internal_error",
    112: "unrecognized_name",
    116: "certificate_required",
}


@dataclass
class HandshakeLog:
    """The facts a diagnosis needs, filled in while the handshake runs."""

    recording: bool = False
    peer_chain_der: list[bytes] = field(default_factory=list)
    certificate_requested: bool = False
    client_certificates_sent: int | None = None  # None: we sent no Certificate message
    alert_received: int | None = None
    alert_sent: int | None = None

    @property
    def peer_chain(self) -> list[x509.Certificate]:
        certs = []
        for der in self.peer_chain_der:
            try:
                certs.append(x509.load_der_x509_certificate(der))
            except ValueError:
                break
        return certs

    def on_message(
        self, _conn: Any, direction: str, version: int, content_type: int, msg_type: int,
        data: bytes,
    ) -> None:
        """The `_msg_callback` hook: record, never raise (it runs inside OpenSSL)."""
        try:
            if content_type == ALERT and len(data) >= 2:
                if direction == "read":
                    self.alert_received = data[1]
                else:
                    self.alert_sent = data[1]
            elif content_type == HANDSHAKE and msg_type == CERTIFICATE:
                certs = parse_certificate_message(data, tls13=version == TLS13)
                if direction == "read":
                    self.peer_chain_der = certs
                else:
                    self.client_certificates_sent = len(certs)
            elif content_type == HANDSHAKE and msg_type == CERTIFICATE_REQUEST:
                self.certificate_requested |= direction == "read"
        except Exception:  # noqa: BLE001 - a diagnostic must not break the handshake
            pass


def attach(ctx: ssl.SSLContext) -> HandshakeLog:
    """A fresh log recording the handshakes of connections made from `ctx`."""
    log = HandshakeLog()
    try:
        ctx._msg_callback = log.on_message  # type: ignore[attr-defined]
        log.recording = True
    except AttributeError:
        pass
    return log


def parse_certificate_message(data: bytes, *, tls13: bool) -> list[bytes]:
    """The DER certificates of a Certificate handshake message (header included).

    TLS 1.2 (RFC 5246 §7.4.2): type(1) length(3) list_length(3) { cert_length(3) cert }.
    TLS 1.3 (RFC 8446 §4.4.2): type(1) length(3) context(1+n) list_length(3)
    { cert_length(3) cert extensions_length(2) extensions }.
    """
    pos = 4
    if tls13:
        pos += 1 + data[pos]
    end = pos + 3 + int.from_bytes(data[pos : pos + 3], "big")
    pos += 3
    certs = []
    while pos + 3 <= min(end, len(data)):
        length = int.from_bytes(data[pos : pos + 3], "big")
        pos += 3
        certs.append(bytes(data[pos : pos + length]))
        pos += length
        if tls13:
            pos += 2 + int.from_bytes(data[pos : pos + 2], "big")
    return certs
