"""`sbc cert import`: each check refuses with its own name, in order; success writes all."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sbc.certs import compat
from sbc.certs.bundle import load_bundle
from sbc.certs.csr import create_csr
from sbc.certs.errors import CertError
from sbc.certs.importer import ImportResult, import_certificate
from sbc.certs.paths import CertPaths
from sbc.certs.pem import certificates_pem, load_certificates, load_private_key
from sbc.certs.testpki import Issued, LabCA

FQDN = "sbc.lab.test"


@pytest.fixture
def pending(paths: CertPaths) -> rsa.RSAPrivateKey:
    """The key of a CSR made on the box (as after `sbc cert csr`)."""
    create_csr(paths, FQDN)
    key = load_private_key(paths.pending_key.read_bytes())
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def do_import(
    paths: CertPaths, system_store: Path, data: bytes, chain: bytes | None = None, **kw: object
) -> ImportResult:
    return import_certificate(
        data, chain, fqdn=kw.pop("fqdn", FQDN), paths=paths, system_store=system_store,
        **kw,
    )


def check_of(paths: CertPaths, system_store: Path, data: bytes, chain: bytes | None = None,
             **kw: object) -> CertError:
    before = sorted(p.name for p in paths.data_dir.iterdir())
    with pytest.raises(CertError) as err:
        do_import(paths, system_store, data, chain, **kw)
    assert not paths.cert.exists()
    after = sorted(p.name for p in paths.data_dir.iterdir())
    assert set(after) - set(before) <= {"ca.pem"}  # at most the bundle was built
    return err.value


def chain_pem(ca: LabCA, leaf: Issued) -> bytes:
    return certificates_pem(ca.chain(leaf))


def test_csr_signed_and_imported(paths: CertPaths, system_store: Path, lab_ca: LabCA,
                                 pending: rsa.RSAPrivateKey) -> None:
    pending_bytes = paths.pending_key.read_bytes()
    cert = lab_ca.sign_csr(x509.load_pem_x509_csr(paths.csr.read_bytes()))
    result = import_certificate(
        certificates_pem([cert, lab_ca.intermediate.cert]),
        fqdn=FQDN, paths=paths, system_store=system_store,
    )
    assert load_certificates(paths.cert.read_bytes()) == [cert, lab_ca.intermediate.cert]
    assert paths.key.read_bytes() == pending_bytes
    assert stat.S_IMODE(paths.key.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.cert.stat().st_mode) == 0o644
    assert not paths.pending_key.exists()
    assert result.key_source == "pending"
    assert result.chain == ["OpenSBC Test Intermediate CA"]
    assert result.anchor == "OpenSBC Test Root CA"
    assert result.warnings == []
    assert "reload" in result.summary()


def test_chain_in_second_file_in_any_order_written_leaf_first(
    paths: CertPaths, system_store: Path, lab_ca: LabCA, pending: rsa.RSAPrivateKey
) -> None:
    sub = lab_ca.issue_ca("Sub CA", lab_ca.intermediate)
    leaf = lab_ca.issue(FQDN, key=pending, issuer=sub)
    chain = certificates_pem([lab_ca.intermediate.cert, sub.cert])
    do_import(paths, system_store, leaf.cert.public_bytes(serialization.Encoding.DER), chain)
    assert load_certificates(paths.cert.read_bytes()) == [
        leaf.cert, sub.cert, lab_ca.intermediate.cert
    ]


def test_leaf_found_in_the_middle_of_one_file(paths: CertPaths, system_store: Path,
                                              lab_ca: LabCA,
                                              pending: rsa.RSAPrivateKey) -> None:
    leaf = lab_ca.issue(FQDN, key=pending)
    do_import(paths, system_store, certificates_pem([lab_ca.intermediate.cert, leaf.cert]))
    assert load_certificates(paths.cert.read_bytes())[0] == leaf.cert


def test_renewal_with_installed_key(paths: CertPaths, system_store: Path,
                                    lab_ca: LabCA) -> None:
    first = lab_ca.issue(FQDN)
    paths.key.write_bytes(first.key_pem)
    renewed = lab_ca.issue(FQDN, key=first.key)
    result = do_import(paths, system_store, chain_pem(lab_ca, renewed))
    assert result.key_source == "installed"
    assert paths.key.read_bytes() == first.key_pem


def test_key_given(paths: CertPaths, system_store: Path, lab_ca: LabCA) -> None:
    leaf = lab_ca.issue(FQDN)
    der_key = leaf.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    result = do_import(paths, system_store, chain_pem(lab_ca, leaf), key_data=der_key)
    assert result.key_source == "given"
    assert load_private_key(paths.key.read_bytes()).private_numbers() == (
        leaf.key.private_numbers()
    )


def test_root_supplied_in_import_is_added(paths: CertPaths, system_store: Path,
                                          other_ca: LabCA) -> None:
    leaf = other_ca.issue(FQDN)
    paths.key.write_bytes(leaf.key_pem)
    data = certificates_pem([leaf.cert, other_ca.intermediate.cert, other_ca.root.cert])
    result = do_import(paths, system_store, data)
    assert result.added_roots == ["Unknown Test Root CA"]
    assert load_bundle(paths.ca_extra) == [other_ca.root.cert]
    assert other_ca.root.cert in load_bundle(paths.ca_bundle)
    # the root is trusted, not sent
    assert load_certificates(paths.cert.read_bytes()) == [leaf.cert, other_ca.intermediate.cert]


def test_unrelated_certificate_left_out_with_warning(paths: CertPaths, system_store: Path,
                                                     lab_ca: LabCA, other_ca: LabCA) -> None:
    leaf = lab_ca.issue(FQDN)
    paths.key.write_bytes(leaf.key_pem)
    data = chain_pem(lab_ca, leaf) + other_ca.intermediate.cert_pem
    result = do_import(paths, system_store, data)
    assert result.warnings == [
        "left out Unknown Test Intermediate CA: not part of the chain"
    ]


def test_wildcard_certificate_one_label(paths: CertPaths, system_store: Path,
                                        lab_ca: LabCA) -> None:
    leaf = lab_ca.issue("*.lab.test")
    paths.key.write_bytes(leaf.key_pem)
    do_import(paths, system_store, chain_pem(lab_ca, leaf))
    assert paths.cert.exists()
    paths.cert.unlink()
    err = check_of(paths, system_store, chain_pem(lab_ca, leaf), fqdn="a.sbc.lab.test")
    assert err.check == "fqdn"


# --- refusals, in the order of the checks -------------------------------------------------


def test_parse(paths: CertPaths, system_store: Path) -> None:
    err = check_of(paths, system_store, b"not a certificate")
    assert err.check == "parse"


def test_only_ca_certificates(paths: CertPaths, system_store: Path, lab_ca: LabCA) -> None:
    err = check_of(paths, system_store, lab_ca.intermediate.cert_pem)
    assert err.check == "parse" and "only CA certificates" in err.message


def test_no_key_on_box(paths: CertPaths, system_store: Path, lab_ca: LabCA) -> None:
    err = check_of(paths, system_store, chain_pem(lab_ca, lab_ca.issue(FQDN)))
    assert err.check == "key" and "no private key on this box" in err.message
    assert "sbc cert csr" in err.hint


def test_key_mismatch_named_before_everything_else(
    paths: CertPaths, system_store: Path, other_ca: LabCA, pending: rsa.RSAPrivateKey
) -> None:
    # wrong key, unknown CA, wrong name, expired: the key check speaks first
    leaf = other_ca.issue("other.test", days=-5)
    err = check_of(paths, system_store, leaf.cert_pem)
    assert err.check == "key"
    assert "does not match the key of the last CSR" in err.message


def test_chain_missing_intermediate(paths: CertPaths, system_store: Path, lab_ca: LabCA,
                                    pending: rsa.RSAPrivateKey) -> None:
    leaf = lab_ca.issue(FQDN, key=pending)
    err = check_of(paths, system_store, leaf.cert_pem)
    assert err.check == "chain" and "OpenSBC Test Intermediate CA" in err.message


def test_chain_unknown_root(paths: CertPaths, system_store: Path, other_ca: LabCA,
                            pending: rsa.RSAPrivateKey) -> None:
    leaf = other_ca.issue(FQDN, key=pending)
    err = check_of(paths, system_store, chain_pem(other_ca, leaf))
    assert err.check == "chain" and "Unknown Test Root CA" in err.message
    assert "sbc cert add-ca" in err.hint


def test_self_signed(paths: CertPaths, system_store: Path, lab_ca: LabCA) -> None:
    own = lab_ca.issue(FQDN)
    selfsigned = lab_ca.issue(FQDN, key=own.key, issuer=own)  # same name, own key
    paths.key.write_bytes(own.key_pem)
    err = check_of(paths, system_store, selfsigned.cert_pem)
    assert err.check == "chain" and "self-signed" in err.message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"common_name": "other.lab.test", "sans": ["other.lab.test"]},
         "is for other.lab.test (SAN: other.lab.test), not sbc.lab.test"),
        ({"common_name": "other.lab.test", "sans": ["sbc.lab.test"]},
         "sbc.lab.test is in the SAN but the CN is other.lab.test"),
        ({"common_name": FQDN, "sans": []}, "is the CN but not in the SAN"),
    ],
)
def test_fqdn(paths: CertPaths, system_store: Path, lab_ca: LabCA, pending: rsa.RSAPrivateKey,
              kwargs: dict[str, object], message: str) -> None:
    leaf = lab_ca.issue(key=pending, days=-3, **kwargs)
    err = check_of(paths, system_store, chain_pem(lab_ca, leaf))
    assert err.check == "fqdn" and message in err.message  # before validity


def test_expired(paths: CertPaths, system_store: Path, lab_ca: LabCA,
                 pending: rsa.RSAPrivateKey) -> None:
    leaf = lab_ca.issue(FQDN, key=pending, days=-1)
    err = check_of(paths, system_store, chain_pem(lab_ca, leaf))
    assert err.check == "validity" and "expired on" in err.message


def test_not_yet_valid(paths: CertPaths, system_store: Path, lab_ca: LabCA,
                       pending: rsa.RSAPrivateKey) -> None:
    leaf = lab_ca.issue(FQDN, key=pending,
                        not_before=compat.now_utc() + dt.timedelta(days=2), days=30)
    err = check_of(paths, system_store, chain_pem(lab_ca, leaf))
    assert err.check == "validity" and "not valid before" in err.message
    assert "timedatectl" in err.hint


def test_expiring_soon_warns(paths: CertPaths, system_store: Path, lab_ca: LabCA,
                             pending: rsa.RSAPrivateKey) -> None:
    leaf = lab_ca.issue(FQDN, key=pending, days=10)
    result = do_import(paths, system_store, chain_pem(lab_ca, leaf))
    assert "expires in" in result.warnings[0]


def test_ec_key_refused_for_teams(paths: CertPaths, system_store: Path,
                                  lab_ca: LabCA) -> None:
    leaf = lab_ca.issue(FQDN, key_type="ec", server_auth=False)
    err = check_of(paths, system_store, chain_pem(lab_ca, leaf), key_data=leaf.key_pem)
    assert err.check == "key-type"
    assert "EC (secp256r1) key" in err.message and "ECDHE-RSA" in err.message


def test_eku_without_server_auth(paths: CertPaths, system_store: Path, lab_ca: LabCA,
                                 pending: rsa.RSAPrivateKey) -> None:
    leaf = lab_ca.issue(FQDN, key=pending, server_auth=False)
    err = check_of(paths, system_store, chain_pem(lab_ca, leaf))
    assert err.check == "eku" and "Server Authentication" in err.message


def test_eku_without_client_auth_warns_by_default(
    paths: CertPaths, system_store: Path, lab_ca: LabCA, pending: rsa.RSAPrivateKey
) -> None:
    leaf = lab_ca.issue(FQDN, key=pending, client_auth=False)
    err = check_of(paths, system_store, chain_pem(lab_ca, leaf), require_client_auth=True)
    assert err.check == "eku" and "Client Authentication" in err.message
    result = do_import(paths, system_store, chain_pem(lab_ca, leaf))
    assert "CertificateUnknown" in result.warnings[0]
    assert paths.cert.exists()


def test_no_eku_extension_warns(paths: CertPaths, system_store: Path, lab_ca: LabCA,
                                pending: rsa.RSAPrivateKey) -> None:
    leaf = lab_ca.issue(FQDN, key=pending, eku=False)
    result = do_import(paths, system_store, chain_pem(lab_ca, leaf))
    assert "no extended key usage" in result.warnings[0]


def test_failed_import_keeps_installed_certificate(paths: CertPaths, system_store: Path,
                                                   lab_ca: LabCA) -> None:
    good = lab_ca.issue(FQDN)
    paths.key.write_bytes(good.key_pem)
    do_import(paths, system_store, chain_pem(lab_ca, good))
    installed = paths.cert.read_bytes()
    bad = lab_ca.issue("other.lab.test", key=good.key)
    with pytest.raises(CertError):
        do_import(paths, system_store, chain_pem(lab_ca, bad))
    assert paths.cert.read_bytes() == installed
    assert paths.key.read_bytes() == good.key_pem


def test_ip_as_fqdn_refused(paths: CertPaths, system_store: Path, lab_ca: LabCA) -> None:
    err = check_of(paths, system_store, b"", fqdn="127.0.0.1")
    assert err.check == "fqdn" and "IP address" in err.message
