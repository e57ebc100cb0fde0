"""Chain building and verification that runs on Debian 12's cryptography 38.

Why not `cryptography.x509.verification`: it arrived in cryptography 42, and the appliance
runs Debian's 38.0.4. Why not `openssl verify` in a subprocess: its answers are error codes
for one certificate at a time, while the admin needs "intermediate X expired on D" or "the
chain stops at X; the file lacks the certificate of Y". So this walks the chain itself:

1. from the leaf, find the certificate whose subject is the current issuer and whose public
   key verifies the current signature, preferring a trust anchor over a supplied
   intermediate (cross-signed roots);
2. every certificate above the leaf must be a CA (basicConstraints CA=true; keyUsage, if
   present, with keyCertSign), valid now, and within its pathLenConstraint;
3. no SHA-1 (or weaker) signatures below the anchor: OpenSSL at Debian's security level 2
   rejects them in the handshake anyway.

The leaf's own validity, names and key usage are checked by the caller (`importer`), so each
failure names its own check. Revocation is not checked (no network on import).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from . import compat
from .errors import CertError

MAX_DEPTH = 8
_WEAK_HASHES = (hashes.SHA1, hashes.MD5)


@dataclass
class Chain:
    """A verified path: `path[0]` is the leaf, `path[-1]` the trust anchor."""

    path: list[x509.Certificate]
    unused: list[x509.Certificate] = field(default_factory=list)

    @property
    def leaf(self) -> x509.Certificate:
        return self.path[0]

    @property
    def anchor(self) -> x509.Certificate:
        return self.path[-1]

    @property
    def intermediates(self) -> list[x509.Certificate]:
        """What a TLS endpoint sends after its leaf: the path without leaf and anchor."""
        return self.path[1:-1]


def subject_text(cert: x509.Certificate) -> str:
    return name_text(cert.subject)


def name_text(name: x509.Name) -> str:
    """A short, readable form of a name: its CN when there is one."""
    cns = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(cns[0].value) if cns else name.rfc4514_string()


def fingerprint(cert: x509.Certificate) -> bytes:
    return cert.fingerprint(hashes.SHA256())


def is_self_signed(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject and compat.is_signed_by(cert, cert)


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def verify_chain(
    leaf: x509.Certificate,
    intermediates: Iterable[x509.Certificate],
    anchors: Iterable[x509.Certificate],
    *,
    now: dt.datetime | None = None,
    bundle_name: str = "the CA bundle",
) -> Chain:
    """Build and verify the path from `leaf` to one of `anchors`, or raise CertError."""
    when = now or compat.now_utc()
    trusted = _dedupe(anchors)
    trusted_prints = {fingerprint(a) for a in trusted}
    pool = [c for c in _dedupe(intermediates) if fingerprint(c) != fingerprint(leaf)]
    if fingerprint(leaf) in trusted_prints:
        return Chain(path=[leaf], unused=pool)
    if is_self_signed(leaf):
        raise CertError(
            f"the certificate for {subject_text(leaf)} is self-signed",
            check="chain",
            hint="Microsoft accepts only certificates issued by a CA in its Trusted Root "
            "Program; have the CSR signed by a public CA",
        )
    path = [leaf]
    current = leaf
    while True:
        anchor = _find_issuer(current, trusted)
        if anchor is not None:
            _check_ca(anchor, path, when, role="root")
            path.append(anchor)
            used = {fingerprint(c) for c in path}
            return Chain(path=path, unused=[c for c in pool if fingerprint(c) not in used])
        issuer = _find_issuer(current, [c for c in pool if c not in path])
        if issuer is None:
            raise _missing_issuer(current, pool + trusted, leaf, bundle_name)
        if is_self_signed(issuer):
            raise CertError(
                f"the chain ends at the root {subject_text(issuer)}, which is not in "
                f"{bundle_name}",
                check="chain",
                hint="if you trust that root, add it with `sbc cert add-ca FILE`",
            )
        _check_ca(issuer, path, when, role="intermediate")
        path.append(issuer)
        current = issuer
        if len(path) > MAX_DEPTH:
            raise CertError(f"the chain is longer than {MAX_DEPTH} certificates", check="chain")


def _dedupe(certs: Iterable[x509.Certificate]) -> list[x509.Certificate]:
    seen: set[bytes] = set()
    out = []
    for cert in certs:
        fp = fingerprint(cert)
        if fp not in seen:
            seen.add(fp)
            out.append(cert)
    return out


def _find_issuer(
    cert: x509.Certificate, candidates: Sequence[x509.Certificate]
) -> x509.Certificate | None:
    for candidate in candidates:
        if compat.is_signed_by(cert, candidate):
            return candidate
    return None


def _check_ca(
    ca: x509.Certificate, below: list[x509.Certificate], when: dt.datetime, *, role: str
) -> None:
    name = subject_text(ca)
    signed = below[-1]
    algorithm = compat.signature_hash(signed)
    if isinstance(algorithm, _WEAK_HASHES):
        raise CertError(
            f"{subject_text(signed)} is signed with {algorithm.name.upper()}, which TLS "
            "libraries reject",
            check="chain",
            hint="ask the CA to reissue it with SHA-256",
        )
    try:
        constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        # Old v1 roots have no extensions; a trust anchor is trusted by being in the store.
        if role != "root" or ca.version != x509.Version.v1:
            raise CertError(
                f"the {role} {name} is not a CA certificate (basicConstraints CA=false) "
                f"but signed {subject_text(signed)}",
                check="chain",
            )
    elif constraints.path_length is not None:
        intermediates_below = len(below) - 1
        if intermediates_below > constraints.path_length:
            raise CertError(
                f"the {role} {name} allows {constraints.path_length} intermediate(s) below "
                f"it, the chain has {intermediates_below}",
                check="chain",
            )
    try:
        usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not usage.key_cert_sign:
        raise CertError(
            f"the {role} {name} may not sign certificates (keyUsage lacks keyCertSign)",
            check="chain",
        )
    start, end = compat.not_before(ca), compat.not_after(ca)
    if when > end:
        raise CertError(
            f"the {role} {name} expired on {end:%Y-%m-%d}",
            check="chain",
            hint="get the current chain from your CA"
            if role == "intermediate"
            else "the CA has a newer root; ask it for the current chain",
        )
    if when < start:
        raise CertError(
            f"the {role} {name} is not valid before {start:%Y-%m-%d %H:%M} UTC",
            check="chain",
            hint="check the appliance clock (timedatectl)",
        )


def _missing_issuer(
    current: x509.Certificate,
    known: list[x509.Certificate],
    leaf: x509.Certificate,
    bundle_name: str,
) -> CertError:
    issuer = name_text(current.issuer)
    if any(c.subject == current.issuer for c in known):
        return CertError(
            f"{subject_text(current)} names {issuer} as its issuer, but no certificate of "
            "that name verifies its signature (a different key: wrong or outdated chain)",
            check="chain",
            hint="get the current intermediate certificates from your CA",
        )
    if current is leaf:
        return CertError(
            f"the certificate was issued by {issuer}, which is neither in the import nor "
            f"in {bundle_name}",
            check="chain",
            hint="import the intermediate certificates too (same file or a second file); "
            "if it is a private root, add it with `sbc cert add-ca FILE`",
        )
    return CertError(
        f"the chain stops at {subject_text(current)}: its issuer {issuer} is neither in "
        f"the import nor in {bundle_name}",
        check="chain",
        hint="add the missing intermediate to the chain file, or the root with "
        "`sbc cert add-ca FILE`",
    )
