"""One assessment of the SBC's certificate, for `sbc cert import`, `sbc check` and `sbc run`.

A certificate that does not cover the SBC's FQDN makes Teams answer 403, one without
Client Authentication fails the SBC's outgoing TLS, a missing intermediate gives an
intermittent "Inactive": each is found here, once, in plain words with what to do about it.
Every check is a small function returning a `Finding` ("ok", "warn" or "fail"), so the
import (which refuses at the first "fail") and the readiness report of the installed files
(which lists them all) apply the same rules. The clock is always passed in (`now`).

The checks, in order: ``files``, ``parse``, ``key``, ``chain``, ``order``, ``fqdn``,
``validity``, ``expiry``, ``key-type``, ``eku``, and for the installed files ``load``:
OpenSSL loads them as the TLS legs will (PEM only, the key matching), so what passes
here is what `sbc run` can use.
"""

from __future__ import annotations

import datetime as dt
import logging
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from . import compat
from .bundle import load_bundle
from .chain import Chain, fingerprint, is_ca, name_text, subject_text, verify_chain
from .errors import CertError
from .names import common_names, dns_sans, name_matches, validate_fqdn
from .pem import load_certificates, load_private_key
from .tls import load_chain

if TYPE_CHECKING:  # names differ in cryptography 38 (PRIVATE_KEY_TYPES)
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes

Level = Literal["ok", "warn", "fail"]

MIN_RSA_BITS = 2048
EXPIRY_THRESHOLDS = (7, 14, 30)  # days; the smallest one crossed is named

CSR_HINT = "`sbc cert csr --fqdn {fqdn}`, have it signed, then `sbc cert import`"
CLIENT_AUTH_MISSING = (
    "the certificate's extended key usage lacks Client Authentication: Microsoft's proxies "
    "require it for the SBC's outgoing TLS connections since March 2024 and may refuse them "
    "(CertificateUnknown), and public CAs drop it from TLS certificates from 2026 on"
)
CLIENT_AUTH_HINT = (
    "ask the CA for a certificate with both serverAuth and clientAuth in the extended key "
    "usage, e.g. from a CA or ACME CA that still issues clientAuth"
)


@dataclass(frozen=True)
class Finding:
    """The outcome of one check: what is wrong (or fine) and what the admin should do."""

    check: str
    level: Level
    message: str
    hint: str = ""

    def text(self) -> str:
        """`message (hint)`: one line for a log, a warning list or stderr."""
        return f"{self.message} ({self.hint})" if self.hint else self.message


@dataclass(frozen=True)
class CertReport:
    """Every finding about one certificate, with the facts the status page shows."""

    findings: tuple[Finding, ...]
    subject: str | None = None
    issuer: str | None = None
    not_after: dt.datetime | None = None  # aware UTC
    days_left: int | None = None

    @property
    def usable(self) -> bool:
        return all(f.level != "fail" for f in self.findings)

    @property
    def problems(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level != "ok")

    def lines(self) -> list[str]:
        """`certificate: check: message (hint)` for each warn and fail finding."""
        return [f"certificate: {f.check}: {f.text()}" for f in self.problems]

    def log(self, logger: logging.Logger) -> None:
        """At start and reload: failures as errors, warnings (expiry too) as warnings."""
        for finding, line in zip(self.problems, self.lines(), strict=True):
            logger.log(logging.ERROR if finding.level == "fail" else logging.WARNING, line)

    def as_dict(self) -> dict[str, Any]:
        return {
            "usable": self.usable,
            "subject": self.subject,
            "issuer": self.issuer,
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "days_left": self.days_left,
            "findings": [
                {"check": f.check, "level": f.level, "message": f.message, "hint": f.hint}
                for f in self.findings
            ],
        }


def _ok(check: str, message: str) -> Finding:
    return Finding(check, "ok", message)


def _failed(err: CertError, check: str) -> Finding:
    return Finding(err.check or check, "fail", err.message, err.hint)


def refusal(finding: Finding) -> CertError:
    """The finding as the error the import refuses with."""
    return CertError(finding.message, check=finding.check, hint=finding.hint)


def raise_if_failed(finding: Finding) -> Finding:
    """For the import, which refuses at the first failure: CertError for a "fail"."""
    if finding.level == "fail":
        raise refusal(finding)
    return finding


# -- key ------------------------------------------------------------------------------


def public_der(key: PublicKeyTypes) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def keys_match(cert: x509.Certificate, key: PrivateKeyTypes) -> bool:
    return public_der(cert.public_key()) == public_der(key.public_key())


def pick_leaf(
    certs: Sequence[x509.Certificate], keys: Iterable[PrivateKeyTypes]
) -> x509.Certificate | None:
    """The SBC's certificate among `certs`: a non-CA one matching a key, else the first
    non-CA one; None when all are CA certificates."""
    end_entities = [c for c in certs if not is_ca(c)]
    public = {public_der(k.public_key()) for k in keys}
    for cert in end_entities:
        if public_der(cert.public_key()) in public:
            return cert
    return end_entities[0] if end_entities else None


def only_ca_certificates() -> Finding:
    return Finding(
        "parse", "fail", "the files hold only CA certificates, no certificate for the SBC",
        "import the certificate your CA issued for the SBC's FQDN; "
        "add roots with `sbc cert add-ca`",
    )


def check_key(leaf: x509.Certificate, key: PrivateKeyTypes, key_name: str) -> Finding:
    if keys_match(leaf, key):
        return _ok("key", f"the private key {key_name} belongs to the certificate")
    return Finding(
        "key", "fail",
        f"the private key {key_name} does not belong to the certificate for "
        f"{subject_text(leaf)}",
        "import the certificate again with its key (`sbc cert import --key`), "
        "or make a new CSR with `sbc cert csr`",
    )


# -- chain ----------------------------------------------------------------------------


def check_chain(
    leaf: x509.Certificate,
    intermediates: Iterable[x509.Certificate],
    anchors: Iterable[x509.Certificate],
    *,
    now: dt.datetime,
    bundle_name: str,
) -> tuple[Finding, Chain | None]:
    """Leaf -> intermediates -> a root in `anchors`; the failure names the missing issuer."""
    try:
        chain = verify_chain(leaf, intermediates, anchors, now=now, bundle_name=bundle_name)
    except CertError as err:
        return _failed(err, "chain"), None
    names = " -> ".join(subject_text(c) for c in chain.path[:-1])
    return _ok("chain", f"the chain is complete: {names} -> root "
                        f"{subject_text(chain.anchor)} in {bundle_name}"), chain


def check_order(
    certs: Sequence[x509.Certificate], leaf: x509.Certificate, chain: Chain | None
) -> Finding:
    """TLS sends the file as it is: the leaf first, then each issuer, nothing else."""
    if fingerprint(certs[0]) != fingerprint(leaf):
        return Finding(
            "order", "fail",
            f"the file starts with {subject_text(certs[0])}, not with the SBC's certificate "
            f"{subject_text(leaf)}, so TLS would present the wrong certificate",
            "import the certificate again with `sbc cert import`; it writes the file in order",
        )
    if chain is None:
        return _ok("order", "the SBC's certificate comes first in the file")
    sent = [fingerprint(c) for c in certs[1:]]
    wanted = [fingerprint(c) for c in chain.intermediates]
    if sent[: len(wanted)] != wanted:
        order = " -> ".join(subject_text(c) for c in chain.path[:-1])
        return Finding(
            "order", "warn",
            f"the intermediates in the file are out of order; peers expect {order}",
            "import the certificate again with `sbc cert import`; it writes the file in order",
        )
    extra = [subject_text(c) for c in certs[1 + len(wanted):]
             if fingerprint(c) != fingerprint(chain.anchor)]
    if extra:
        return Finding(
            "order", "warn",
            f"the file also holds {', '.join(extra)}, which is not part of the chain",
            "import the certificate again with `sbc cert import`; it leaves those out",
        )
    return _ok("order", "the chain is sent in order: the SBC's certificate, then each issuer")


# -- the leaf -------------------------------------------------------------------------


def check_fqdn(leaf: x509.Certificate, fqdn: str) -> Finding:
    """The FQDN in the CN (Microsoft's proxy) and in a DNS SAN (TLS peers); one-label
    wildcards only."""
    try:
        name = validate_fqdn(fqdn)
    except CertError as err:
        return _failed(err, "fqdn")
    cns, sans = common_names(leaf), dns_sans(leaf)
    in_cn = any(name_matches(cn, name) for cn in cns)
    in_san = any(name_matches(san, name) for san in sans)
    if in_cn and in_san:
        return _ok("fqdn", f"the certificate covers {name} in CN and SAN")
    cn_text = ", ".join(cns) or "(no CN)"
    san_text = ", ".join(sans) or "(no DNS SAN)"
    teams = f"Teams answers 403 \"Provided Trunk FQDN '{name}' is not allowed\""
    if not in_cn and not in_san:
        return Finding(
            "fqdn", "fail",
            f"the certificate is for {cn_text} (SAN: {san_text}), not {name}; {teams}",
            f"make a CSR for {name} with `sbc cert csr`, or correct the SBC's FQDN",
        )
    if not in_san:
        return Finding(
            "fqdn", "fail",
            f"{name} is the CN but not in the SAN ({san_text}); TLS peers match the SAN",
            f"have the certificate reissued with SAN DNS:{name}",
        )
    return Finding(
        "fqdn", "fail",
        f"{name} is in the SAN but the CN is {cn_text}; Microsoft's proxy checks the CN "
        f"and {teams}",
        f"have the certificate reissued with CN={name}",
    )


def check_validity(leaf: x509.Certificate, now: dt.datetime) -> Finding:
    start, end = compat.not_before(leaf), compat.not_after(leaf)
    if now > end:
        return Finding(
            "validity", "fail", f"the certificate expired on {end:%Y-%m-%d %H:%M} UTC",
            "renew it: `sbc cert csr`, then import the new certificate",
        )
    if now < start:
        return Finding(
            "validity", "fail",
            f"the certificate is not valid before {start:%Y-%m-%d %H:%M} UTC",
            "check the appliance clock (timedatectl), or import it once it is valid",
        )
    return _ok("validity", f"the certificate is valid from {start:%Y-%m-%d} "
                           f"until {end:%Y-%m-%d %H:%M} UTC")


def days_left(leaf: x509.Certificate, now: dt.datetime) -> int:
    return (compat.not_after(leaf) - now).days


def check_expiry(leaf: x509.Certificate, now: dt.datetime) -> Finding:
    """A warning once 30, 14 and 7 days are left, naming the smallest threshold crossed."""
    days, end = days_left(leaf, now), compat.not_after(leaf)
    crossed = [t for t in EXPIRY_THRESHOLDS if days <= t]
    if not crossed:
        return _ok("expiry", f"the certificate expires in {days} days ({end:%Y-%m-%d})")
    return Finding(
        "expiry", "warn",
        f"the certificate expires in {days} days ({end:%Y-%m-%d}), within {crossed[0]} days",
        "renew it now: `sbc cert csr`, have it signed, then `sbc cert import`",
    )


def check_key_type(leaf: x509.Certificate) -> Finding:
    """RSA of at least 2048 bits: Microsoft's cipher suites are ECDHE-RSA."""
    key = leaf.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size >= MIN_RSA_BITS:
            return _ok("key-type", f"the key is RSA with {key.key_size} bits")
        return Finding(
            "key-type", "fail",
            f"the certificate's RSA key has {key.key_size} bits; at least "
            f"{MIN_RSA_BITS} are needed",
            "make a new CSR with `sbc cert csr`",
        )
    kind = f"an EC ({key.curve.name})" if isinstance(key, ec.EllipticCurvePublicKey) else (
        "a non-RSA"
    )
    return Finding(
        "key-type", "fail",
        f"the certificate has {kind} key; Teams negotiates only ECDHE-RSA cipher suites, "
        "so the Teams leg needs an RSA key",
        "make an RSA key and CSR with `sbc cert csr` and have that signed",
    )


def extended_key_usage(leaf: x509.Certificate) -> set[ObjectIdentifier] | None:
    """The EKU OIDs, or None when the certificate has no EKU extension."""
    try:
        return set(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return None


def check_eku(leaf: x509.Certificate) -> Finding:
    """serverAuth is required; a missing clientAuth is a warning (see CLIENT_AUTH_MISSING)."""
    usages = extended_key_usage(leaf)
    if usages is None:
        return Finding(
            "eku", "warn",
            "the certificate has no extended key usage; Microsoft expects Server and Client "
            "Authentication listed",
            CLIENT_AUTH_HINT,
        )
    if ExtendedKeyUsageOID.SERVER_AUTH not in usages:
        return Finding(
            "eku", "fail", "the certificate's extended key usage lacks Server Authentication",
            "request a TLS server certificate with serverAuth and clientAuth",
        )
    if ExtendedKeyUsageOID.CLIENT_AUTH not in usages:
        return Finding("eku", "warn", CLIENT_AUTH_MISSING, CLIENT_AUTH_HINT)
    return _ok("eku", "the extended key usage holds Server and Client Authentication")


def check_leaf(leaf: x509.Certificate, fqdn: str, now: dt.datetime) -> list[Finding]:
    """fqdn, validity, expiry (while valid), key-type and eku, in that order."""
    validity = check_validity(leaf, now)
    findings = [check_fqdn(leaf, fqdn), validity]
    if validity.level == "ok":
        findings.append(check_expiry(leaf, now))
    return findings + [check_key_type(leaf), check_eku(leaf)]


# -- the installed files --------------------------------------------------------------


def assess_installed(
    cert: Path, key: Path, ca_bundle: Path, fqdn: str, *, now: dt.datetime | None = None
) -> CertReport:
    """The installed certificate files as the SBC would use them."""
    when = now or compat.now_utc()
    read = _read_files(cert, key, fqdn)
    if isinstance(read, Finding):
        return CertReport((read,))
    files = _ok("files", f"{cert} and {key} are readable")
    try:
        certs = load_certificates(read[0], str(cert))
    except CertError as err:
        return CertReport((files, _failed(err, "parse")))
    try:
        private_key: PrivateKeyTypes | None = load_private_key(read[1], str(key))
        parsed = _not_pem(cert, read[0], "certificate") or _not_pem(key, read[1], "key") or _ok(
            "parse", f"{cert} holds {len(certs)} certificate(s), {key} a private key")
    except CertError as err:
        private_key, parsed = None, _failed(err, "parse")
    leaf = pick_leaf(certs, [private_key] if private_key is not None else [])
    if leaf is None:
        return CertReport((files, only_ca_certificates()))
    findings = [files, parsed]
    if private_key is not None:
        findings.append(check_key(leaf, private_key, str(key)))
    chain_finding, chain = _installed_chain(leaf, certs, ca_bundle, when)
    findings += [chain_finding, check_order(certs, leaf, chain), *check_leaf(leaf, fqdn, when)]
    if all(f.level != "fail" for f in findings):  # what the checks above may have missed
        findings.append(check_load(cert, key))
    return CertReport(
        tuple(findings),
        subject=subject_text(leaf),
        issuer=name_text(leaf.issuer),
        not_after=compat.not_after(leaf),
        days_left=days_left(leaf, when),
    )


def _not_pem(path: Path, data: bytes, what: str) -> Finding | None:
    """`sbc cert import` takes DER, but the TLS legs (OpenSSL) read only PEM."""
    if b"-----BEGIN" in data:
        return None
    command = "x509" if what == "certificate" else "pkey"
    return Finding(
        "parse", "fail",
        f"{path} is a DER {what}, not PEM; the SBC's TLS reads PEM only",
        f"install it with `sbc cert import`, which writes PEM, or convert it: "
        f"openssl {command} -inform DER -in {path} -out {path.name}.pem",
    )


def check_load(cert: Path, key: Path) -> Finding:
    """OpenSSL loads the pair as `sbc run` will (a mismatch or a format it refuses)."""
    try:
        load_chain(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), cert, key)
    except CertError as err:
        return _failed(err, "load")
    return _ok("load", f"OpenSSL loads {cert} with {key}")


def _read_files(cert: Path, key: Path, fqdn: str) -> tuple[bytes, bytes] | Finding:
    """Both files' bytes, or the one "files" failure (the SBC runs without TLS then)."""
    for path, what in ((cert, "certificate"), (key, "private key")):
        if not path.exists():
            return Finding("files", "fail", f"no {what} yet: {path} does not exist",
                           CSR_HINT.format(fqdn=fqdn))
    try:
        return cert.read_bytes(), key.read_bytes()
    except OSError as exc:
        return Finding(
            "files", "fail", f"cannot read {exc.filename}: {exc.strerror or exc}",
            "the SBC runs as root and needs to read both files; check their owner and mode",
        )


def _installed_chain(
    leaf: x509.Certificate, certs: Sequence[x509.Certificate], ca_bundle: Path,
    now: dt.datetime,
) -> tuple[Finding, Chain | None]:
    try:
        anchors = load_bundle(ca_bundle)
    except (OSError, CertError) as exc:
        return Finding(
            "chain", "fail", f"the CA bundle {ca_bundle} cannot be read: {exc}",
            "rebuild it with `sbc cert bundle`",
        ), None
    if not anchors:
        return Finding(
            "chain", "fail", f"the CA bundle {ca_bundle} is missing or empty",
            "rebuild it with `sbc cert bundle`",
        ), None
    others = [c for c in certs if fingerprint(c) != fingerprint(leaf)]
    finding, chain = check_chain(leaf, others, anchors, now=now, bundle_name=str(ca_bundle))
    # chain.py speaks of "the import"; for the installed files that is the certificate file.
    return Finding(finding.check, finding.level,
                   finding.message.replace("the import", "the certificate file"),
                   finding.hint), chain
