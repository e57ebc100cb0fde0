"""The CA bundle: system store + shipped Microsoft roots + admin roots, rebuilt atomically."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from importlib import resources
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sbc.certs import compat
from sbc.certs.bundle import (
    REQUIRED_ROOTS,
    add_ca,
    build_bundle,
    fingerprint_text,
    load_bundle,
    required_roots,
)
from sbc.certs.chain import subject_text
from sbc.certs.errors import CertError
from sbc.certs.paths import CertPaths
from sbc.certs.pem import certificates_pem
from sbc.certs.testpki import LabCA

# Published SHA-256 fingerprints (DigiCert's and Microsoft's sites, Mozilla's CA list),
# written here a second time on purpose: a changed file or a changed table both fail.
WELL_KNOWN = {
    "DigiCert Global Root G2":
        "cb3ccbb76031e5e0138f8dd39a23f9de47ffc35e43c1144cea27d46a5ab1cb5f",
    "DigiCert Global Root CA":
        "4348a0e9444c78cb265e058d5e8944b4d84f9662bd26db257f8934a443c70161",
    "Microsoft RSA Root Certificate Authority 2017":
        "c741f70f4b2a8d88bf2e71c14122ef53ef10eba0cfa5e64cfa20f418853073e0",
    "Microsoft ECC Root Certificate Authority 2017":
        "358df39d764af9e1b766e9c972df352ee15cfac227af6ad1d70e8e4a6edcba02",
}
# SHA-1 thumbprints as Microsoft's Direct Routing announcement lists them.
MICROSOFT_SHA1 = {
    "DigiCert Global Root G2": "df3c24f9bfd666761b268073fe06d1cc8d4f82a4",
    "DigiCert Global Root CA": "a8985d3a65e5e5c4b2d7d66d40c6dd2fb19c5436",
    "Microsoft RSA Root Certificate Authority 2017": "73a5e64a3bff8316ff0edccc618a906e4eae4d74",
    "Microsoft ECC Root Certificate Authority 2017": "999a64c37ff47d9fab95f14769891460eec4c3c5",
}


def test_shipped_roots_match_published_fingerprints() -> None:
    roots = required_roots()
    assert sorted(subject_text(r) for r in roots) == sorted(WELL_KNOWN)
    for root in roots:
        der = root.public_bytes(serialization.Encoding.DER)
        assert hashlib.sha256(der).hexdigest() == WELL_KNOWN[subject_text(root)]
        assert hashlib.sha1(der).hexdigest() == MICROSOFT_SHA1[subject_text(root)]
        assert compat.not_after(root) > dt.datetime(2031, 1, 1, tzinfo=dt.UTC)


def test_data_readme_names_every_root_and_baltimore() -> None:
    folder = resources.files("sbc.certs.data")
    readme = folder.joinpath("README.md").read_text()
    for root in REQUIRED_ROOTS:
        assert root.filename in readme and root.sha256 in readme
        assert folder.joinpath(root.filename).is_file()
    assert "Baltimore" in readme
    shipped = sorted(p.name for p in folder.iterdir() if p.name.endswith(".pem"))
    assert shipped == sorted(r.filename for r in REQUIRED_ROOTS)


def test_build_from_system_store(paths: CertPaths, system_store: Path, lab_ca: LabCA) -> None:
    report = build_bundle(paths, system_store=system_store)
    certs = load_bundle(paths.ca_bundle)
    assert certs[0] == lab_ca.root.cert
    assert report.from_system == 1
    assert sorted(report.from_package) == sorted(WELL_KNOWN)
    assert report.total == len(certs) == 5
    text = paths.ca_bundle.read_text()
    assert "# DigiCert Global Root G2 (opensbc; until 2038-01-15)" in text
    assert paths.ca_bundle.stat().st_mode & 0o777 == 0o644


def test_required_roots_not_duplicated_when_system_has_them(paths: CertPaths,
                                                            tmp_path: Path) -> None:
    store = tmp_path / "store.pem"
    store.write_bytes(certificates_pem(required_roots()[:2]))
    report = build_bundle(paths, system_store=store)
    assert report.from_system == 2 and len(report.from_package) == 2
    assert len(load_bundle(paths.ca_bundle)) == 4


def test_expired_and_unreadable_left_out(paths: CertPaths, tmp_path: Path,
                                         lab_ca: LabCA) -> None:
    old = LabCA("Old", now=compat.now_utc() - dt.timedelta(days=4000))
    store = tmp_path / "store.pem"
    bad = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    store.write_bytes(old.root.cert_pem + bad + lab_ca.root.cert_pem)
    report = build_bundle(paths, system_store=store)
    assert report.expired == ["Old Root CA"]
    assert report.unreadable == 1
    assert report.from_system == 1
    assert "left out (expired): Old Root CA" in report.summary()


def test_missing_system_store_still_has_microsoft_roots(paths: CertPaths,
                                                        tmp_path: Path) -> None:
    report = build_bundle(paths, system_store=tmp_path / "absent.crt")
    assert report.system_store_missing
    assert {subject_text(c) for c in load_bundle(paths.ca_bundle)} == set(WELL_KNOWN)


@pytest.mark.skipif(not Path("/etc/ssl/certs/ca-certificates.crt").exists(),
                    reason="no system CA store")
def test_real_system_store(paths: CertPaths) -> None:
    report = build_bundle(paths)
    assert report.from_system > 50
    names = {subject_text(c) for c in load_bundle(paths.ca_bundle)}
    assert set(WELL_KNOWN) <= names
    assert "Baltimore CyberTrust Root" not in names  # expired 2025-05-12
    import ssl

    ssl.create_default_context(cafile=str(paths.ca_bundle))  # OpenSSL reads it


def test_add_ca_survives_rebuild(paths: CertPaths, system_store: Path,
                                 other_ca: LabCA) -> None:
    report = add_ca(other_ca.root.cert_pem, paths, system_store=system_store)
    assert report.added == ["Unknown Test Root CA"] and report.warnings == []
    assert report.bundle.from_extra == 1
    build_bundle(paths, system_store=system_store)
    assert other_ca.root.cert in load_bundle(paths.ca_bundle)
    assert load_bundle(paths.ca_extra) == [other_ca.root.cert]
    again = add_ca(other_ca.root.cert_pem, paths, system_store=system_store)
    assert again.added == [] and again.already_present == ["Unknown Test Root CA"]
    assert len(load_bundle(paths.ca_extra)) == 1


def test_add_ca_intermediate_warns(paths: CertPaths, system_store: Path,
                                   other_ca: LabCA) -> None:
    report = add_ca(other_ca.intermediate.cert_pem, paths, system_store=system_store)
    assert re.search("is an intermediate, not a root", report.warnings[0])


def test_add_ca_refuses_server_certificate(paths: CertPaths, lab_ca: LabCA) -> None:
    with pytest.raises(CertError, match="is not a CA certificate"):
        add_ca(lab_ca.issue("sbc.lab.test").cert_pem, paths, source="x.pem")
    assert not paths.ca_extra.exists()


def test_add_ca_refuses_expired(paths: CertPaths) -> None:
    old = LabCA("Old", now=compat.now_utc() - dt.timedelta(days=4000))
    with pytest.raises(CertError, match="expired on"):
        add_ca(old.root.cert_pem, paths)


def test_fingerprint_text_format(lab_ca: LabCA) -> None:
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", fingerprint_text(lab_ca.root.cert))


def test_build_creates_data_dir(tmp_path: Path, system_store: Path) -> None:
    paths = CertPaths(tmp_path / "new" / "data")
    build_bundle(paths, system_store=system_store)
    assert paths.ca_bundle.exists()
