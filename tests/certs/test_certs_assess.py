"""`assess_installed`: every check of the installed files, named, with its level and hint;
the import speaks with the same words."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography import x509
from sbc.certs import compat
from sbc.certs.assess import (
    CLIENT_AUTH_HINT,
    CLIENT_AUTH_MISSING,
    CertReport,
    Finding,
    assess_installed,
)
from sbc.certs.cli import main
from sbc.certs.importer import import_certificate
from sbc.certs.paths import CertPaths
from sbc.certs.pem import certificates_pem
from sbc.certs.testpki import Issued, LabCA

FQDN = "sbc.lab.test"
ORDER = ["files", "parse", "key", "chain", "order", "fqdn", "validity", "expiry", "key-type",
         "eku", "load"]


def install(tmp_path: Path, ca: LabCA, leaf: Issued,
            chain: list[x509.Certificate] | None = None, *, trust: LabCA | None = None,
            ) -> tuple[Path, Path, Path]:
    """Write the files as `sbc cert import` would, and a bundle holding `trust`'s root."""
    files = ca.write(tmp_path, leaf, stem="sbc", chain=chain)
    bundle = (trust or ca).write_root(tmp_path / "ca.pem")
    return files.cert, files.key, bundle


def assess(tmp_path: Path, ca: LabCA, leaf: Issued, fqdn: str = FQDN, *,
           chain: list[x509.Certificate] | None = None, trust: LabCA | None = None,
           now: dt.datetime | None = None) -> CertReport:
    cert, key, bundle = install(tmp_path, ca, leaf, chain, trust=trust)
    return assess_installed(cert, key, bundle, fqdn, now=now)


def finding(report: CertReport, check: str) -> Finding:
    (found,) = [f for f in report.findings if f.check == check]
    return found


def test_a_good_certificate_passes_every_check(tmp_path: Path, lab_ca: LabCA) -> None:
    report = assess(tmp_path, lab_ca, lab_ca.issue(FQDN))
    assert [f.check for f in report.findings] == ORDER
    assert {f.level for f in report.findings} == {"ok"}
    assert report.usable and report.problems == ()
    assert report.subject == FQDN and report.issuer == "OpenSBC Test Intermediate CA"
    assert report.days_left in (363, 364)
    assert "sbc.lab.test -> OpenSBC Test Intermediate CA -> root OpenSBC Test Root CA" in (
        finding(report, "chain").message)
    data = json.loads(json.dumps(report.as_dict()))
    assert data["usable"] is True and data["subject"] == FQDN
    assert data["not_after"] == report.not_after.isoformat()
    assert data["findings"][0] == {"check": "files", "level": "ok",
                                   "message": finding(report, "files").message, "hint": ""}


def test_no_certificate_yet(tmp_path: Path) -> None:
    paths = CertPaths(tmp_path)
    report = assess_installed(paths.cert, paths.key, paths.ca_bundle, FQDN)
    assert report.findings == (Finding(
        "files", "fail", f"no certificate yet: {paths.cert} does not exist",
        f"`sbc cert csr --fqdn {FQDN}`, have it signed, then `sbc cert import`"),)
    assert not report.usable and report.as_dict()["not_after"] is None


def test_missing_key_file(tmp_path: Path, lab_ca: LabCA) -> None:
    cert, key, bundle = install(tmp_path, lab_ca, lab_ca.issue(FQDN))
    key.unlink()
    (only,) = assess_installed(cert, key, bundle, FQDN).findings
    assert only.check == "files" and f"{key} does not exist" in only.message


def test_unreadable_certificate(tmp_path: Path, lab_ca: LabCA) -> None:
    cert, key, bundle = install(tmp_path, lab_ca, lab_ca.issue(FQDN))
    cert.write_bytes(b"-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----\n")
    report = assess_installed(cert, key, bundle, FQDN)
    assert [(f.check, f.level) for f in report.findings] == [("files", "ok"), ("parse", "fail")]


def test_other_name_is_the_403(tmp_path: Path, lab_ca: LabCA) -> None:
    report = assess(tmp_path, lab_ca, lab_ca.issue("other.lab.test"))
    fqdn = finding(report, "fqdn")
    assert fqdn.level == "fail" and not report.usable
    assert "is for other.lab.test (SAN: other.lab.test), not sbc.lab.test" in fqdn.message
    assert "403" in fqdn.message and "Provided Trunk FQDN" in fqdn.message
    assert report.problems == (fqdn,)


def test_wildcard_covers_one_label_only(tmp_path: Path, lab_ca: LabCA) -> None:
    leaf = lab_ca.issue("*.lab.test")
    assert finding(assess(tmp_path, lab_ca, leaf), "fqdn").level == "ok"
    deeper = finding(assess(tmp_path, lab_ca, leaf, fqdn="a.sbc.lab.test"), "fqdn")
    assert deeper.level == "fail"


def test_fqdn_must_be_in_cn_and_san(tmp_path: Path, lab_ca: LabCA) -> None:
    leaf = lab_ca.issue(FQDN, sans=["other.lab.test"])
    assert "is the CN but not in the SAN" in finding(assess(tmp_path, lab_ca, leaf), "fqdn").message


def test_no_client_auth_warns_with_what_to_ask_for(tmp_path: Path, lab_ca: LabCA) -> None:
    report = assess(tmp_path, lab_ca, lab_ca.issue(FQDN, client_auth=False))
    assert report.usable
    assert report.problems == (Finding("eku", "warn", CLIENT_AUTH_MISSING, CLIENT_AUTH_HINT),)
    assert "Microsoft's proxies require it" in CLIENT_AUTH_MISSING
    assert "March 2024" in CLIENT_AUTH_MISSING and "2026" in CLIENT_AUTH_MISSING
    assert "serverAuth and clientAuth" in CLIENT_AUTH_HINT


def test_no_eku_warns_and_no_server_auth_fails(tmp_path: Path, lab_ca: LabCA) -> None:
    none = finding(assess(tmp_path, lab_ca, lab_ca.issue(FQDN, eku=False)), "eku")
    assert none.level == "warn" and "no extended key usage" in none.message
    server = finding(assess(tmp_path, lab_ca, lab_ca.issue(FQDN, server_auth=False)), "eku")
    assert server.level == "fail" and "Server Authentication" in server.message


def test_missing_intermediate_names_the_issuer(tmp_path: Path, lab_ca: LabCA) -> None:
    report = assess(tmp_path, lab_ca, lab_ca.issue(FQDN), chain=[])
    chain = finding(report, "chain")
    assert chain.level == "fail" and "OpenSBC Test Intermediate CA" in chain.message
    assert "the import" not in chain.message and "import the intermediate" in chain.hint
    assert finding(report, "order").level == "ok"  # the leaf still comes first


def test_unknown_root(tmp_path: Path, lab_ca: LabCA, other_ca: LabCA) -> None:
    report = assess(tmp_path, other_ca, other_ca.issue(FQDN), trust=lab_ca)
    chain = finding(report, "chain")
    assert chain.level == "fail" and "Unknown Test Root CA" in chain.message
    assert "sbc cert add-ca" in chain.hint


def test_missing_bundle(tmp_path: Path, lab_ca: LabCA) -> None:
    cert, key, bundle = install(tmp_path, lab_ca, lab_ca.issue(FQDN))
    bundle.unlink()
    chain = finding(assess_installed(cert, key, bundle, FQDN), "chain")
    assert chain.level == "fail" and "sbc cert bundle" in chain.hint


def test_chain_out_of_order_or_with_extras(tmp_path: Path, lab_ca: LabCA,
                                           other_ca: LabCA) -> None:
    sub = lab_ca.issue_ca("Sub CA", lab_ca.intermediate)
    leaf = lab_ca.issue(FQDN, issuer=sub)
    swapped = assess(tmp_path, lab_ca, leaf, chain=[lab_ca.intermediate.cert, sub.cert])
    order = finding(swapped, "order")
    assert order.level == "warn" and swapped.usable
    assert "sbc.lab.test -> Sub CA -> OpenSBC Test Intermediate CA" in order.message
    extra = assess(tmp_path, lab_ca, leaf,
                   chain=[sub.cert, lab_ca.intermediate.cert, other_ca.intermediate.cert])
    assert "Unknown Test Intermediate CA" in finding(extra, "order").message
    with_root = assess(tmp_path, lab_ca, leaf,
                       chain=[sub.cert, lab_ca.intermediate.cert, lab_ca.root.cert])
    assert finding(with_root, "order").level == "ok"


def test_leaf_not_first_fails(tmp_path: Path, lab_ca: LabCA) -> None:
    leaf = lab_ca.issue(FQDN)
    cert, key, bundle = install(tmp_path, lab_ca, leaf)
    cert.write_bytes(certificates_pem([lab_ca.intermediate.cert, leaf.cert]))
    report = assess_installed(cert, key, bundle, FQDN)
    assert finding(report, "order").level == "fail"
    assert finding(report, "key").level == "ok"  # the leaf was found by its key


def test_key_does_not_match(tmp_path: Path, lab_ca: LabCA) -> None:
    cert, key, bundle = install(tmp_path, lab_ca, lab_ca.issue(FQDN))
    key.write_bytes(lab_ca.issue(FQDN).key_pem)
    found = finding(assess_installed(cert, key, bundle, FQDN), "key")
    assert found.level == "fail" and "does not belong" in found.message


@pytest.mark.parametrize(
    ("left", "level", "threshold"),
    [(40, "ok", None), (30, "warn", 30), (20, "warn", 30), (14, "warn", 14), (10, "warn", 14),
     (7, "warn", 7), (1, "warn", 7)],
)
def test_expiry_thresholds(tmp_path: Path, lab_ca: LabCA, left: int, level: str,
                           threshold: int | None) -> None:
    leaf = lab_ca.issue(FQDN)
    now = compat.not_after(leaf.cert) - dt.timedelta(days=left, minutes=-1)
    report = assess(tmp_path, lab_ca, leaf, now=now)
    expiry = finding(report, "expiry")
    assert report.days_left == left - 1
    assert expiry.level == level and f"expires in {left - 1} days" in expiry.message
    if threshold is not None:
        assert expiry.message.endswith(f"within {threshold} days")


def test_expired_and_not_yet_valid(tmp_path: Path, lab_ca: LabCA) -> None:
    leaf = lab_ca.issue(FQDN, days=10)
    late = assess(tmp_path, lab_ca, leaf, now=compat.not_after(leaf.cert) + dt.timedelta(1))
    assert finding(late, "validity").level == "fail" and "expired on" in (
        finding(late, "validity").message)
    assert "expiry" not in [f.check for f in late.findings] and late.days_left == -1
    early = assess(tmp_path, lab_ca, leaf, now=compat.not_before(leaf.cert) - dt.timedelta(1))
    assert "timedatectl" in finding(early, "validity").hint


@pytest.mark.parametrize(("kwargs", "text"), [
    ({"key_type": "ec"}, "EC (secp256r1) key"),
    ({"key_size": 1024}, "1024 bits"),
])
def test_key_type(tmp_path: Path, lab_ca: LabCA, kwargs: dict[str, object], text: str) -> None:
    found = finding(assess(tmp_path, lab_ca, lab_ca.issue(FQDN, **kwargs)), "key-type")
    assert found.level == "fail" and text in found.message


def test_import_warns_with_the_same_words(tmp_path: Path, lab_ca: LabCA,
                                          system_store: Path) -> None:
    leaf = lab_ca.issue(FQDN, client_auth=False, days=10)
    paths = CertPaths(tmp_path / "data")
    paths.data_dir.mkdir()
    paths.key.write_bytes(leaf.key_pem)
    now = compat.now_utc()
    result = import_certificate(certificates_pem(lab_ca.chain(leaf)), fqdn=FQDN, paths=paths,
                                system_store=system_store, now=now)
    report = assess_installed(paths.cert, paths.key, paths.ca_bundle, FQDN, now=now)
    assert result.warnings == [f.text() for f in report.problems]
    assert [f.check for f in report.problems] == ["expiry", "eku"]


def test_cert_show_lists_the_findings(tmp_path: Path, lab_ca: LabCA,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    install(tmp_path, lab_ca, lab_ca.issue(FQDN, client_auth=False))
    d = ["--data-dir", str(tmp_path)]
    assert main(["cert", "show", *d]) == 0  # no config, no --fqdn: the facts only
    assert "certificate: " not in capsys.readouterr().out
    (tmp_path / "sbc.yaml").write_text(f"sbc:\n  fqdn: {FQDN}\n  public_ip: 203.0.113.10\n")
    assert main(["cert", "show", *d]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == f"certificate: eku: {CLIENT_AUTH_MISSING} ({CLIENT_AUTH_HINT})"
    assert main(["cert", "show", "--json", "--fqdn", "other.lab.test", *d]) == 0
    assessment = json.loads(capsys.readouterr().out)["assessment"]
    assert assessment["usable"] is False
    assert [f["check"] for f in assessment["findings"] if f["level"] != "ok"] == ["fqdn", "eku"]


def test_openssl_load_is_the_last_check(tmp_path: Path, lab_ca: LabCA) -> None:
    """What `sbc run` loads is tried too, so nothing the checks miss passes (`load`)."""
    from sbc.certs.assess import check_load

    leaf, other = lab_ca.issue(FQDN), lab_ca.issue(FQDN)
    files = lab_ca.write(tmp_path, leaf, stem="sbc")
    assert check_load(files.cert, files.key).level == "ok"
    files.key.write_bytes(other.key_pem)
    failed = check_load(files.cert, files.key)
    assert (failed.check, failed.level) == ("load", "fail")
    assert failed.message.startswith(f"cannot load the SBC certificate {files.cert} with key")
