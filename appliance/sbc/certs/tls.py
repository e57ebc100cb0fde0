"""`ssl.SSLContext` factories for the SBC's TLS legs (stdlib `ssl`, OpenSSL underneath).

Both roles are mutual TLS, because that is what Teams Direct Routing is (AT-3):

- server: Microsoft's proxies (and the carrier, if on TLS) connect to the SBC; a client
  certificate is REQUIRED and verified against the CA bundle.
- client: the SBC connects out; it presents its certificate with the full chain (leaf +
  intermediates from `sbc.crt`; a missing intermediate gives intermittent "Inactive"),
  verifies the server against the bundle and checks the host name. The caller passes
  `server_hostname` per connection (`wrap_socket` / `asyncio.open_connection`), which also
  sends it as SNI: Microsoft needs SNI = the proxy's FQDN, never an IP.

TLS 1.2 is the floor (Microsoft since April 2022). On TLS 1.2 the four ECDHE-RSA suites
Microsoft lists come first, with server preference; ECDHE-ECDSA and ChaCha20 follow so a
peer with an EC certificate (Microsoft ECC Root CA 2017 chains, a carrier) still connects
when we are the client. TLS 1.3 suites are OpenSSL's defaults.

`VERIFY_X509_PARTIAL_CHAIN` is set so that a CA the admin added with `sbc cert add-ca`
anchors a chain even when it is an intermediate, as the admin would expect.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from .errors import CertError
from .pair import same_pair

TEAMS_CIPHERS = (
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-SHA384",
    "ECDHE-RSA-AES128-SHA256",
)
EXTRA_CIPHERS = (
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
)
DEFAULT_CIPHERS = TEAMS_CIPHERS + EXTRA_CIPHERS

PathLike = str | Path


def server_context(
    cert: PathLike,
    key: PathLike,
    ca_bundle: PathLike,
    *,
    ciphers: tuple[str, ...] = DEFAULT_CIPHERS,
    require_client_cert: bool = True,
) -> ssl.SSLContext:
    """A listener context that demands and verifies the peer's certificate.

    `require_client_cert=False` (verify when offered) exists only for legs where the
    peer cannot present one (a carrier on TLS without client certificates); never Teams.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _harden(ctx, ciphers)
    ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    ctx.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    load_chain(ctx, cert, key)
    _load_trust(ctx, ca_bundle)
    return ctx


def client_context(
    cert: PathLike | None,
    key: PathLike | None,
    ca_bundle: PathLike,
    *,
    ciphers: tuple[str, ...] = DEFAULT_CIPHERS,
) -> ssl.SSLContext:
    """An outgoing context: our certificate and chain, server verified with its host name.

    `cert`/`key` may be None only for diagnostics (`tls-check` without a certificate).
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED + check_hostname
    _harden(ctx, ciphers)
    if cert is not None:
        if key is None:
            raise ValueError("client_context: a certificate needs its key")
        load_chain(ctx, cert, key)
    _load_trust(ctx, ca_bundle)
    return ctx


def _harden(ctx: ssl.SSLContext, ciphers: tuple[str, ...]) -> None:
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    try:
        ctx.set_ciphers(":".join(ciphers))
    except ssl.SSLError as exc:
        raise ValueError(f"no usable cipher in {ciphers}") from exc


def load_chain(ctx: ssl.SSLContext, cert: PathLike, key: PathLike) -> None:
    """Load our certificate and key as every TLS leg does (`assess` tries it too, so
    `sbc check` refuses what `sbc run` cannot load)."""
    certfile, keyfile = same_pair(cert, key)
    try:
        ctx.load_cert_chain(certfile=certfile, keyfile=keyfile)
    except FileNotFoundError as exc:
        raise CertError(
            f"cannot load the SBC certificate: {exc.filename} does not exist",
            check="load",
            hint="make a CSR with `sbc cert csr` and import the signed certificate",
        ) from exc
    except ssl.SSLError as exc:
        raise CertError(
            f"cannot load the SBC certificate {cert} with key {key}: {exc.reason or exc}",
            check="load",
            hint="check it with `sbc cert show`; re-import it with `sbc cert import`",
        ) from exc


def _load_trust(ctx: ssl.SSLContext, ca_bundle: PathLike) -> None:
    try:
        ctx.load_verify_locations(cafile=str(ca_bundle))
    except FileNotFoundError as exc:
        raise CertError(
            f"the CA bundle {ca_bundle} does not exist",
            check="load",
            hint="build it with `sbc cert bundle`",
        ) from exc
    except ssl.SSLError as exc:
        raise CertError(f"cannot read the CA bundle {ca_bundle}: {exc}", check="load") from exc
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN


def peer_names(peercert: dict[str, Any] | None) -> list[str]:
    """DNS names (SAN, then CN) of a verified peer, from `SSLSocket.getpeercert()`.

    For allowlists and logs: e.g. that a connection on the Teams port really presented
    a `*.pstnhub.microsoft.com` certificate.
    """
    if not peercert:
        return []
    names = [value for kind, value in peercert.get("subjectAltName", ()) if kind == "DNS"]
    for rdn in peercert.get("subject", ()):
        for attr, value in rdn:
            if attr == "commonName" and value not in names:
                names.append(value)
    return names
