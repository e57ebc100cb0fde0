"""`sbc cert show`: what a certificate is, as a dict (JSON, web page) and as text.

The dict is the single source: `format_text` only renders it, so the CLI, `sbc status
--json` and the web page show the same facts and the same warnings.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from . import compat
from .bundle import fingerprint_text
from .chain import is_ca, is_self_signed, name_text, subject_text
from .errors import CertError
from .names import common_names, dns_sans, ip_sans, name_matches
from .paths import CertPaths
from .pem import load_certificates, load_private_key

EXPIRY_WARNING_DAYS = 30

_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
}


def key_description(cert: x509.Certificate) -> tuple[str, int | None, str | None]:
    """(type, size in bits, curve) of the certificate's public key."""
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size, None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.key_size, key.curve.name
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256, None
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456, None
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size, None
    return type(key).__name__, None, None


def extended_key_usages(cert: x509.Certificate) -> list[str] | None:
    """EKU names, or None when the certificate has no EKU extension."""
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    return [_EKU_NAMES.get(oid, oid.dotted_string) for oid in usages]


def describe(cert: x509.Certificate, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The facts about one certificate, JSON-ready (dates as ISO 8601 UTC)."""
    when = now or compat.now_utc()
    start, end = compat.not_before(cert), compat.not_after(cert)
    key_type, key_size, curve = key_description(cert)
    cns = common_names(cert)
    return {
        "subject": cert.subject.rfc4514_string(),
        "common_name": cns[0] if cns else None,
        "sans": dns_sans(cert),
        "ip_sans": ip_sans(cert),
        "issuer": cert.issuer.rfc4514_string(),
        "issuer_name": name_text(cert.issuer),
        "serial": format(cert.serial_number, "X"),
        "not_before": start.isoformat(),
        "not_after": end.isoformat(),
        "days_left": (end - when).days,
        "valid_now": start <= when <= end,
        "key_type": key_type,
        "key_size": key_size,
        "curve": curve,
        "ekus": extended_key_usages(cert),
        "sha256": fingerprint_text(cert),
        "self_signed": is_self_signed(cert),
        "ca": is_ca(cert),
    }


def describe_chain(
    certs: list[x509.Certificate],
    *,
    fqdn: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The leaf in full, the rest in brief, and what looks wrong for the Teams leg."""
    leaf, rest = certs[0], certs[1:]
    info = describe(leaf, now=now)
    warnings = leaf_warnings(info, fqdn)
    chain = []
    for cert in rest:
        item = describe(cert, now=now)
        chain.append(
            {k: item[k] for k in ("subject", "issuer", "not_after", "days_left", "sha256")}
        )
        if not item["valid_now"]:
            warnings.append(f"chain certificate {subject_text(cert)} is not valid now")
    if not rest and not info["self_signed"]:
        warnings.append("no intermediate certificates: peers may not be able to build the chain")
    return {"certificate": info, "chain": chain, "warnings": warnings}


def leaf_warnings(info: dict[str, Any], fqdn: str | None) -> list[str]:
    warnings = []
    if not info["valid_now"]:
        warnings.append(f"not valid now (valid {info['not_before']} to {info['not_after']})")
    elif info["days_left"] < EXPIRY_WARNING_DAYS:
        warnings.append(f"expires in {info['days_left']} days")
    if info["key_type"] != "RSA":
        warnings.append(f"{info['key_type']} key: Teams needs RSA (ECDHE-RSA suites)")
    ekus = info["ekus"]
    if ekus is not None and ("serverAuth" not in ekus or "clientAuth" not in ekus):
        warnings.append("EKU lacks " + " and ".join(
            n for n in ("serverAuth", "clientAuth") if n not in ekus
        ) + " (Microsoft requires both)")
    if fqdn:
        cn = info["common_name"] or ""
        if not name_matches(cn, fqdn) or not any(name_matches(s, fqdn) for s in info["sans"]):
            warnings.append(f"{fqdn} is not in both CN and SAN")
    if info["self_signed"]:
        warnings.append("self-signed: Microsoft rejects it")
    return warnings


def show_installed(
    paths: CertPaths, *, fqdn: str | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """`describe_chain` of the installed `sbc.crt`, plus the state of the key files."""
    if not paths.cert.exists():
        raise CertError(
            f"no certificate is installed ({paths.cert} does not exist)",
            check="missing",
            hint="make a CSR with `sbc cert csr`, then `sbc cert import` the signed certificate",
        )
    info = show_file(paths.cert, fqdn=fqdn, now=now)
    info["path"] = str(paths.cert)
    if paths.key.exists():
        key = load_private_key(paths.key.read_bytes(), str(paths.key))
        leaf = load_certificates(paths.cert.read_bytes(), str(paths.cert))[0]
        if _spki(key.public_key()) != _spki(leaf.public_key()):
            info["warnings"].append(f"{paths.key} does not belong to this certificate")
    else:
        info["warnings"].append(f"the private key {paths.key} is missing")
    info["pending_csr"] = paths.pending_key.exists()
    return info


def show_file(
    path: Path, *, fqdn: str | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    return describe_chain(load_certificates(path.read_bytes(), str(path)), fqdn=fqdn, now=now)


def _spki(key: Any) -> bytes:
    return bytes(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def format_text(info: dict[str, Any]) -> str:
    """Human-readable rendering of `describe_chain` / `show_installed` output."""
    leaf = info["certificate"]
    key = f"{leaf['key_type']} {leaf['key_size'] or ''}".strip()
    if leaf["curve"]:
        key += f" ({leaf['curve']})"
    ekus = leaf["ekus"]
    lines = []
    if "path" in info:
        lines.append(f"File:        {info['path']}")
    lines += [
        f"Subject:     {leaf['subject']}",
        f"SANs:        {', '.join(leaf['sans'] + leaf['ip_sans']) or '-'}",
        f"Issuer:      {leaf['issuer']}",
        f"Valid from:  {leaf['not_before']}",
        f"Valid until: {leaf['not_after']} ({leaf['days_left']} days left)",
        f"Key:         {key}",
        f"EKU:         {', '.join(ekus) if ekus is not None else '(none)'}",
        f"SHA-256:     {leaf['sha256']}",
    ]
    for number, cert in enumerate(info["chain"], 1):
        lines.append(
            f"Chain {number}:     {cert['subject']} (until {cert['not_after'][:10]}, "
            f"issued by {cert['issuer']})"
        )
    if info.get("pending_csr"):
        lines.append("Pending:     a CSR is waiting for its certificate (sbc cert import)")
    lines += [f"warning: {w}" for w in info["warnings"]]
    return "\n".join(lines)
