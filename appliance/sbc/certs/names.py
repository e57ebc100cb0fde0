"""The SBC's FQDN: its syntax, and whether a certificate name covers it.

Microsoft's proxies find the tenant by the FQDN in the SBC's Contact and certificate, so an
IP address or a typo here is a broken trunk. Matching follows RFC 2818 §3.1 as Microsoft
documents it: a wildcard stands for exactly one whole left-most label (`*.contoso.com`
matches `sbc.contoso.com`, not `a.sbc.contoso.com` nor `contoso.com`).
"""

from __future__ import annotations

import ipaddress
import re

from cryptography import x509
from cryptography.x509.oid import NameOID

from .errors import CertError

# RFC 1123 §2.1 label: letters, digits, hyphen; not starting or ending with a hyphen.
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def validate_fqdn(name: str, *, wildcard: bool = False, what: str = "FQDN") -> str:
    """`name` lower-cased without a trailing dot, or CertError saying what is wrong.

    With `wildcard`, a left-most `*` label is allowed (for extra SANs).
    """
    fqdn = name.strip().rstrip(".").lower()
    if not fqdn:
        raise CertError(f"the {what} is empty", check="fqdn")
    if is_ip_address(fqdn):
        raise CertError(
            f"the {what} {name!r} is an IP address; Teams identifies the SBC by its DNS name",
            check="fqdn",
            hint="use the SBC's public DNS name, e.g. sbc.contoso.com",
        )
    if len(fqdn) > 253:
        raise CertError(f"the {what} {name!r} is longer than 253 characters", check="fqdn")
    labels = fqdn.split(".")
    if len(labels) < 2:
        raise CertError(
            f"the {what} {name!r} is not fully qualified (it needs a domain, "
            "e.g. sbc.contoso.com)",
            check="fqdn",
        )
    check = labels[1:] if wildcard and labels[0] == "*" else labels
    if wildcard and labels[0] == "*" and len(labels) < 3:
        raise CertError(f"the wildcard {what} {name!r} covers a whole domain", check="fqdn")
    for label in check:
        if not _LABEL.match(label):
            raise CertError(
                f"the {what} {name!r} is not a valid host name: label {label!r} may only "
                "hold letters, digits and inner hyphens (1-63 characters)",
                check="fqdn",
            )
    if labels[-1].isdigit():
        raise CertError(f"the {what} {name!r} ends in a numeric label", check="fqdn")
    return fqdn


def name_matches(pattern: str, fqdn: str) -> bool:
    """True if the certificate name `pattern` covers `fqdn` (one-label wildcard only)."""
    pattern = pattern.strip().rstrip(".").lower()
    fqdn = fqdn.strip().rstrip(".").lower()
    if not pattern or not fqdn:
        return False
    if not pattern.startswith("*."):
        return pattern == fqdn
    suffix = pattern[2:]
    if "*" in suffix or suffix.count(".") < 1:
        return False
    head, _, rest = fqdn.partition(".")
    return bool(head) and rest == suffix


def common_names(cert: x509.Certificate) -> list[str]:
    return [
        str(attr.value) for attr in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    ]


def dns_sans(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return list(ext.value.get_values_for_type(x509.DNSName))


def ip_sans(cert: x509.Certificate) -> list[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [str(ip) for ip in ext.value.get_values_for_type(x509.IPAddress)]
