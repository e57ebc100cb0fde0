"""A private key and a certificate signing request for the SBC's FQDN.

Key: RSA, because Teams negotiates only ECDHE-RSA suites (an EC key gets "no shared
cipher", AT-5). Default 2048 bits: Microsoft and every public CA accept it, NIST SP 800-57
rates it adequate through 2030, and certificates now live a year or less (the key is made
anew at each renewal), while each RSA-3072 signature costs about three times as much CPU
per TLS handshake on a small VM facing three Teams proxies and the carrier. `--key-size
3072` (or 4096) is there for policies that ask for more.

Request: CN = FQDN and SAN DNS = FQDN (Microsoft's proxy has checked the CN, not only the
SAN: AT-2), extended key usage serverAuth + clientAuth (required by Microsoft since March
2024, because the SBC presents the same certificate as a TLS client), key usage
digitalSignature + keyEncipherment.

The key goes to `sbc.key.pending` (0600), not over the key in use, so the current
certificate keeps working until the signed one is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..util.atomic import atomic_write
from .errors import CertError
from .names import validate_fqdn
from .paths import CertPaths
from .pem import key_pem

DEFAULT_KEY_SIZE = 2048
KEY_SIZES = (2048, 3072, 4096)


def make_key(key_size: int = DEFAULT_KEY_SIZE) -> rsa.RSAPrivateKey:
    if key_size not in KEY_SIZES:
        raise CertError(
            f"RSA key size {key_size} is not offered; use one of "
            f"{', '.join(map(str, KEY_SIZES))}",
            check="key-type",
        )
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def make_csr(
    key: rsa.RSAPrivateKey,
    fqdn: str,
    extra_sans: Sequence[str] = (),
    *,
    organization: str | None = None,
    country: str | None = None,
) -> x509.CertificateSigningRequest:
    """A CSR for `fqdn` (validated) plus `extra_sans` (wildcards allowed there)."""
    name = validate_fqdn(fqdn)
    sans = [name]
    for extra in extra_sans:
        san = validate_fqdn(extra, wildcard=True, what="extra SAN")
        if san not in sans:
            sans.append(san)
    attributes = []
    if country:
        if len(country) != 2 or not country.isalpha():
            raise CertError(f"country {country!r} must be a two-letter code", check="csr")
        attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country.upper()))
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, name))
    builder = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(attributes))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), False)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    return builder.sign(key, hashes.SHA256())


@dataclass
class CsrResult:
    fqdn: str
    csr_pem: bytes
    csr_path: Path
    key_path: Path


def create_csr(
    paths: CertPaths,
    fqdn: str,
    extra_sans: Sequence[str] = (),
    *,
    key_size: int = DEFAULT_KEY_SIZE,
    organization: str | None = None,
    country: str | None = None,
) -> CsrResult:
    """Make a new pending key and a CSR for it, and write both (key 0600, CSR 0644)."""
    name = validate_fqdn(fqdn)  # before the key: a typo should not cost a key generation
    key = make_key(key_size)
    csr = make_csr(key, fqdn, extra_sans, organization=organization, country=country)
    csr_pem = csr.public_bytes(serialization.Encoding.PEM)
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(paths.pending_key, key_pem(key), mode=0o600)
    atomic_write(paths.csr, csr_pem, mode=0o644)
    return CsrResult(
        fqdn=name, csr_pem=csr_pem, csr_path=paths.csr, key_path=paths.pending_key
    )
