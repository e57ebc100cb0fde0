"""Key and CSR: RSA, CN = SAN = FQDN, serverAuth + clientAuth, key 0600 and kept pending."""

from __future__ import annotations

import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sbc.certs.csr import DEFAULT_KEY_SIZE, create_csr, make_csr, make_key
from sbc.certs.errors import CertError
from sbc.certs.paths import CertPaths
from sbc.certs.pem import load_private_key


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return make_key()


def test_csr_contents(key: rsa.RSAPrivateKey) -> None:
    csr = make_csr(key, "SBC.Contoso.com", ["sbc2.contoso.com", "*.sbc.contoso.com"])
    assert csr.is_signature_valid
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "sbc.contoso.com"
    sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == [
        "sbc.contoso.com", "sbc2.contoso.com", "*.sbc.contoso.com"
    ]
    eku = csr.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    usage = csr.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature and usage.value.key_encipherment
    assert not usage.value.key_cert_sign
    public = csr.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.key_size == DEFAULT_KEY_SIZE == 2048


def test_csr_optional_subject_fields(key: rsa.RSAPrivateKey) -> None:
    csr = make_csr(key, "sbc.contoso.com", organization="Contoso GmbH", country="de")
    assert csr.subject.rfc4514_string() == "CN=sbc.contoso.com,O=Contoso GmbH,C=DE"
    with pytest.raises(CertError, match="two-letter"):
        make_csr(key, "sbc.contoso.com", country="DEU")


@pytest.mark.parametrize("fqdn", ["203.0.113.5", "sbc", "sbc_1.contoso.com", "*.contoso.com"])
def test_csr_refuses_bad_fqdn(key: rsa.RSAPrivateKey, fqdn: str) -> None:
    with pytest.raises(CertError) as err:
        make_csr(key, fqdn)
    assert err.value.check == "fqdn" and repr(fqdn) in str(err.value)


def test_csr_refuses_bad_extra_san(key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(CertError, match="extra SAN '10.0.0.1' is an IP address"):
        make_csr(key, "sbc.contoso.com", ["10.0.0.1"])


@pytest.mark.parametrize("size", [1024, 2047, 8192])
def test_key_size_refused(size: int) -> None:
    with pytest.raises(CertError, match=f"RSA key size {size} is not offered"):
        make_key(size)


def test_create_csr_writes_pending_key_not_installed_key(paths: CertPaths) -> None:
    paths.key.write_bytes(b"the key in use")
    result = create_csr(paths, "sbc.contoso.com", key_size=3072)
    assert paths.key.read_bytes() == b"the key in use"
    assert result.key_path == paths.pending_key
    assert stat.S_IMODE(paths.pending_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.csr.stat().st_mode) == 0o644
    csr = x509.load_pem_x509_csr(paths.csr.read_bytes())
    public, pending = csr.public_key(), load_private_key(paths.pending_key.read_bytes())
    assert isinstance(public, rsa.RSAPublicKey) and isinstance(pending, rsa.RSAPrivateKey)
    assert public.public_numbers() == pending.public_key().public_numbers()
    assert public.key_size == 3072
    assert result.csr_pem.startswith(b"-----BEGIN CERTIFICATE REQUEST-----")


def test_create_csr_bad_fqdn_writes_nothing(paths: CertPaths) -> None:
    with pytest.raises(CertError):
        create_csr(paths, "192.0.2.1")
    assert list(paths.data_dir.iterdir()) == []
