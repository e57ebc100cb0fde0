"""Reading certificates and keys the way admins hand them over: PEM or DER, one or many.

Files come from CA portals and Windows exports, so this accepts CRLF line ends, text around
the PEM blocks and a DER file, and names the file when it gives up.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from .errors import CertError

if TYPE_CHECKING:  # names differ in cryptography 38 (PRIVATE_KEY_TYPES)
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

_CERT_BLOCK = re.compile(
    rb"-----BEGIN CERTIFICATE-----\r?\n.*?-----END CERTIFICATE-----", re.DOTALL
)


def pem_blocks(data: bytes) -> list[bytes]:
    """The PEM certificate blocks in `data`, in order (text between them is ignored)."""
    return [m.group(0).replace(b"\r\n", b"\n") + b"\n" for m in _CERT_BLOCK.finditer(data)]


def load_certificates(data: bytes, source: str = "the file") -> list[x509.Certificate]:
    """All certificates in `data` (PEM with one or more blocks, or a single DER)."""
    if b"-----BEGIN" in data:
        blocks = pem_blocks(data)
        if not blocks:
            raise CertError(
                f"{source} holds PEM data but no certificate (no 'BEGIN CERTIFICATE' block)",
                check="parse",
                hint="a key or CSR is not a certificate; use the file your CA sent back",
            )
        certs = []
        for number, block in enumerate(blocks, 1):
            try:
                certs.append(x509.load_pem_x509_certificate(block))
            except ValueError as exc:
                raise CertError(
                    f"certificate {number} in {source} cannot be read: {exc}", check="parse"
                ) from exc
        return certs
    if not data.strip():
        raise CertError(f"{source} is empty", check="parse")
    try:
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise CertError(
            f"{source} is neither a PEM nor a DER certificate",
            check="parse",
            hint="a .pfx/.p12 file must be split first: "
            "openssl pkcs12 -in FILE -nokeys -out cert.pem",
        ) from exc


def load_private_key(data: bytes, source: str = "the key file") -> PrivateKeyTypes:
    """An unencrypted private key from PEM or DER."""
    loaders = (
        (serialization.load_pem_private_key, serialization.load_der_private_key)
        if b"-----BEGIN" in data
        else (serialization.load_der_private_key,)
    )
    for loader in loaders:
        try:
            key = loader(data, None)
        except TypeError as exc:  # encrypted, no password given
            raise CertError(
                f"{source} is encrypted",
                check="parse",
                hint="store it unencrypted: openssl pkey -in FILE -out plain.key",
            ) from exc
        except (ValueError, NotImplementedError, UnsupportedAlgorithm):
            continue
        return key
    raise CertError(f"{source} does not hold a usable private key", check="parse")


def certificates_pem(certs: list[x509.Certificate]) -> bytes:
    """PEM for `certs`, in the order given."""
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def key_pem(key: PrivateKeyTypes) -> bytes:
    """Unencrypted PKCS#8 PEM (readable by OpenSSL, Python's ssl and cryptography)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
