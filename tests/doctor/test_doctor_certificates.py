"""The field's certificate failures, each named the same way by `sbc cert import`,
`sbc check` and `sbc doctor` (one assessment, certs.assess, behind all three).

Four certificates a CA really hands out: for another name (Teams answers 403), without
Client Authentication (Microsoft's proxies refuse the SBC's outgoing TLS), without its
intermediate (peers cannot build the chain), and one that expires in ten days.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sbc.certs.assess import assess_installed
from sbc.certs.testpki import LabCA
from sbc.cli import main
from sbc.config import check_main

from .helpers import CONFIG, FQDN
from .test_doctor_cli import offline, write_config  # noqa: F401 (fixture)

CASES = {
    # case: (issue options, leaf only in the file, the check that names it, import refuses)
    "other-name": ({"common_name": "other.contoso.de"}, False, "fqdn", True),
    "no-client-auth": ({"client_auth": False}, False, "eku", False),
    "missing-intermediate": ({}, True, "chain", True),
    "expiring": ({"days": 10}, False, "expiry", False),
}


@pytest.fixture(scope="module")
def ca() -> LabCA:
    return LabCA("Doctor Certificates Test")


def _issue(ca: LabCA, tmp_path: Path, case: str) -> tuple[Path, Path]:
    """The CA's answer as files in an upload folder: certificate (+ chain) and key."""
    options, leaf_only, _, _ = CASES[case]
    name = str(options.get("common_name", FQDN))
    extra = {k: v for k, v in options.items() if k != "common_name"}
    leaf = ca.issue(name, **extra)  # type: ignore[arg-type]
    upload = tmp_path / "upload"
    upload.mkdir()
    pem = serialization.Encoding.PEM
    chain = [leaf.cert] if leaf_only else ca.chain(leaf)
    (upload / "sbc.pem").write_bytes(b"".join(c.public_bytes(pem) for c in chain))
    (upload / "sbc.key").write_bytes(leaf.key_pem)
    return upload / "sbc.pem", upload / "sbc.key"


@pytest.mark.parametrize("case", list(CASES))
def test_each_failure_is_named_alike_by_import_check_and_doctor(
        case: str, ca: LabCA, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        offline: None) -> None:  # noqa: F811
    _, _, check, refused = CASES[case]
    config = write_config(tmp_path, CONFIG)
    ca.write_root(tmp_path / "ca.pem")
    cert, key = _issue(ca, tmp_path, case)

    # What the assessment says of these files, installed as they are.
    (tmp_path / "sbc.crt").write_bytes(cert.read_bytes())
    (tmp_path / "sbc.key").write_bytes(key.read_bytes())
    report = assess_installed(tmp_path / "sbc.crt", tmp_path / "sbc.key",
                              tmp_path / "ca.pem", FQDN)
    named = [f for f in report.problems if f.check == check]
    assert named, report.findings
    finding = named[0]
    assert finding.level == ("fail" if refused else "warn")

    # sbc check
    assert check_main(["--config", str(config)]) == 0
    assert f"certificate: {check}: {finding.message}" in capsys.readouterr().err

    # sbc doctor --json
    main(["doctor", "--json", "--config", str(config), "--run-dir", str(tmp_path / "run")])
    doctor = json.loads(capsys.readouterr().out)
    by_id = {f["id"]: f for f in doctor["findings"]}
    assert f"cert.{check}" in by_id, doctor["findings"]
    assert finding.message.rstrip(".").lower() in by_id[f"cert.{check}"]["message"].lower()

    # sbc cert import, into a data folder that trusts the test CA
    data = tmp_path / "import"
    assert main(["cert", "add-ca", str(tmp_path / "ca.pem"), "--data-dir", str(data)]) == 0
    capsys.readouterr()
    code = main(["cert", "import", str(cert), "--key", str(key), "--fqdn", FQDN,
                 "--data-dir", str(data)])
    out = capsys.readouterr()
    if refused:
        assert code == 1 and f"({check} check)" in out.err, out
        assert not (data / "sbc.crt").exists()
    else:
        assert code == 0, out
        assert finding.message in out.out, out
