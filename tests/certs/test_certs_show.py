"""`cert show`: the facts as a dict (JSON-ready) and the warnings that matter for Teams."""

from __future__ import annotations

import datetime as dt
import json

from sbc.certs import compat
from sbc.certs.csr import create_csr
from sbc.certs.paths import CertPaths
from sbc.certs.pem import certificates_pem
from sbc.certs.show import describe, describe_chain, format_text, show_installed
from sbc.certs.testpki import LabCA


def test_describe(lab_ca: LabCA) -> None:
    leaf = lab_ca.issue("sbc.lab.test", sans=["sbc.lab.test", "alt.lab.test"],
                        ip_sans=["192.0.2.1"])
    now = compat.now_utc()
    info = describe(leaf.cert, now=now)
    assert json.loads(json.dumps(info)) == info
    assert info["subject"] == "CN=sbc.lab.test,O=OpenSBC Test"
    assert info["common_name"] == "sbc.lab.test"
    assert info["sans"] == ["sbc.lab.test", "alt.lab.test"]
    assert info["ip_sans"] == ["192.0.2.1"]
    assert info["issuer_name"] == "OpenSBC Test Intermediate CA"
    assert info["days_left"] in (364, 365)
    assert info["valid_now"] and not info["ca"] and not info["self_signed"]
    assert (info["key_type"], info["key_size"], info["curve"]) == ("RSA", 2048, None)
    assert info["ekus"] == ["serverAuth", "clientAuth"]
    assert dt.datetime.fromisoformat(info["not_after"]) == compat.not_after(leaf.cert)
    assert len(info["sha256"]) == 95


def test_describe_ec_and_no_eku(lab_ca: LabCA) -> None:
    info = describe(lab_ca.issue("x.lab.test", key_type="ec", eku=False).cert)
    assert (info["key_type"], info["key_size"], info["curve"]) == ("EC", 256, "secp256r1")
    assert info["ekus"] is None


def test_root_describes_as_self_signed_ca(lab_ca: LabCA) -> None:
    info = describe(lab_ca.root.cert)
    assert info["ca"] and info["self_signed"]


def test_chain_and_text(lab_ca: LabCA) -> None:
    leaf = lab_ca.issue("sbc.lab.test")
    info = describe_chain(lab_ca.chain(leaf), fqdn="sbc.lab.test")
    assert info["warnings"] == []
    assert [c["subject"] for c in info["chain"]] == [
        "CN=OpenSBC Test Intermediate CA,O=OpenSBC Test"
    ]
    text = format_text(info)
    assert "SANs:        sbc.lab.test" in text
    assert "EKU:         serverAuth, clientAuth" in text
    assert "Chain 1:     CN=OpenSBC Test Intermediate CA" in text


def test_installed_with_wrong_key_and_pending_csr(paths: CertPaths, lab_ca: LabCA) -> None:
    leaf = lab_ca.issue("sbc.lab.test")
    paths.cert.write_bytes(certificates_pem(lab_ca.chain(leaf)))
    paths.key.write_bytes(lab_ca.issue("other.lab.test").key_pem)
    create_csr(paths, "sbc.lab.test")
    info = show_installed(paths)
    assert info["path"] == str(paths.cert)
    assert info["pending_csr"] is True
    assert f"{paths.key} does not belong to this certificate" in info["warnings"]
    assert "Pending:     a CSR is waiting" in format_text(info)


def test_installed_without_key(paths: CertPaths, lab_ca: LabCA) -> None:
    leaf = lab_ca.issue("sbc.lab.test")
    paths.cert.write_bytes(certificates_pem(lab_ca.chain(leaf)))
    assert f"the private key {paths.key} is missing" in show_installed(paths)["warnings"]
