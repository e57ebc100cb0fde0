"""Certificates and keys as admins hand them over: PEM, DER, CRLF, bundles, junk."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from sbc.certs.errors import CertError
from sbc.certs.pem import certificates_pem, load_certificates, load_private_key
from sbc.certs.testpki import LabCA

DER = serialization.Encoding.DER


def test_pem_with_several_blocks_and_text(lab_ca: LabCA) -> None:
    leaf = lab_ca.issue("sbc.lab.test")
    data = b"Subject: whatever\r\n" + certificates_pem(lab_ca.chain(leaf)).replace(
        b"\n", b"\r\n"
    )
    assert load_certificates(data) == lab_ca.chain(leaf)


def test_der(lab_ca: LabCA) -> None:
    assert load_certificates(lab_ca.root.cert.public_bytes(DER)) == [lab_ca.root.cert]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"hello world", "neither a PEM nor a DER"),
        (b"-----BEGIN CERTIFICATE REQUEST-----\nAA==\n-----END CERTIFICATE REQUEST-----\n",
         "no certificate"),
        (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
         "certificate 1 in cert.pem cannot be read"),
    ],
)
def test_bad_certificate_files(data: bytes, message: str) -> None:
    with pytest.raises(CertError, match=message) as err:
        load_certificates(data, "cert.pem")
    assert err.value.check == "parse"


def test_keys_pem_der_and_encrypted(lab_ca: LabCA) -> None:
    key = lab_ca.issue("k.test").key
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    der = key.private_bytes(DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    numbers = key.private_numbers()
    assert load_private_key(pem).private_numbers() == numbers
    assert load_private_key(der).private_numbers() == numbers
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    with pytest.raises(CertError, match="is encrypted"):
        load_private_key(encrypted)
    with pytest.raises(CertError, match="does not hold a usable private key"):
        load_private_key(b"nonsense")
