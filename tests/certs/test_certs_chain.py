"""Chain building and verification (the cryptography-38-compatible walker)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from sbc.certs import compat
from sbc.certs.chain import verify_chain
from sbc.certs.errors import CertError
from sbc.certs.pem import certificates_pem
from sbc.certs.testpki import LabCA


def test_leaf_intermediate_root(lab_ca: LabCA) -> None:
    leaf = lab_ca.issue("sbc.lab.test")
    chain = verify_chain(leaf.cert, [lab_ca.intermediate.cert], [lab_ca.root.cert])
    assert chain.path == [leaf.cert, lab_ca.intermediate.cert, lab_ca.root.cert]
    assert chain.intermediates == [lab_ca.intermediate.cert]
    assert chain.unused == []


def test_order_of_supplied_certificates_does_not_matter(lab_ca: LabCA) -> None:
    sub = lab_ca.issue_ca("Sub CA", lab_ca.intermediate)
    leaf = lab_ca.issue("sbc.lab.test", issuer=sub)
    other = lab_ca.issue("noise.lab.test")
    chain = verify_chain(
        leaf.cert, [other.cert, lab_ca.intermediate.cert, sub.cert], [lab_ca.root.cert]
    )
    assert chain.intermediates == [sub.cert, lab_ca.intermediate.cert]
    assert chain.unused == [other.cert]


def test_missing_intermediate(lab_ca: LabCA) -> None:
    leaf = lab_ca.issue("sbc.lab.test")
    with pytest.raises(CertError, match="issued by OpenSBC Test Intermediate CA, which is "
                       "neither in the import nor in /data/ca.pem") as err:
        verify_chain(leaf.cert, [], [lab_ca.root.cert], bundle_name="/data/ca.pem")
    assert err.value.check == "chain"
    assert "intermediate" in err.value.hint


def test_unknown_root(lab_ca: LabCA, other_ca: LabCA) -> None:
    leaf = other_ca.issue("sbc.lab.test")
    with pytest.raises(CertError, match="chain stops at Unknown Test Intermediate CA"):
        verify_chain(leaf.cert, [other_ca.intermediate.cert], [lab_ca.root.cert])


def test_supplied_but_untrusted_root_named(lab_ca: LabCA, other_ca: LabCA) -> None:
    leaf = other_ca.issue("sbc.lab.test")
    with pytest.raises(CertError, match="ends at the root Unknown Test Root CA"):
        verify_chain(
            leaf.cert, [other_ca.intermediate.cert, other_ca.root.cert], [lab_ca.root.cert]
        )


def test_wrong_key_same_name(lab_ca: LabCA) -> None:
    impostor = LabCA("OpenSBC Test")  # same names, other keys
    leaf = impostor.issue("sbc.lab.test")
    with pytest.raises(CertError, match="no certificate of that name verifies its signature"):
        verify_chain(leaf.cert, [lab_ca.intermediate.cert], [lab_ca.root.cert])


def test_self_signed_leaf(lab_ca: LabCA) -> None:
    with pytest.raises(CertError, match="self-signed") as err:
        verify_chain(lab_ca.root.cert, [], [])
    assert "Trusted Root Program" in err.value.hint


def test_intermediate_that_is_not_a_ca(lab_ca: LabCA) -> None:
    fake = lab_ca.issue_ca("Not A CA", lab_ca.intermediate, ca=False, key_usage=False)
    leaf = lab_ca.issue("sbc.lab.test", issuer=fake)
    with pytest.raises(CertError, match="Not A CA is not a CA certificate"):
        verify_chain(leaf.cert, [fake.cert, lab_ca.intermediate.cert], [lab_ca.root.cert])


def test_path_length_constraint(lab_ca: LabCA) -> None:
    limited = lab_ca.issue_ca("Limited CA", lab_ca.intermediate, path_length=0)
    sub = lab_ca.issue_ca("Sub CA", limited)
    leaf = lab_ca.issue("sbc.lab.test", issuer=sub)
    with pytest.raises(CertError, match="Limited CA allows 0 intermediate"):
        verify_chain(
            leaf.cert, [sub.cert, limited.cert, lab_ca.intermediate.cert], [lab_ca.root.cert]
        )


def test_expired_intermediate(lab_ca: LabCA) -> None:
    old = lab_ca.issue_ca("Old CA", lab_ca.intermediate, days=400)
    leaf = lab_ca.issue("sbc.lab.test", issuer=old, days=300)
    later = compat.now_utc() + dt.timedelta(days=500)
    with pytest.raises(CertError, match="the intermediate Old CA expired on"):
        verify_chain(
            leaf.cert, [old.cert, lab_ca.intermediate.cert], [lab_ca.root.cert], now=later
        )


def test_leaf_trusted_directly(lab_ca: LabCA) -> None:
    leaf = lab_ca.issue("pinned.lab.test")
    assert verify_chain(leaf.cert, [], [leaf.cert]).path == [leaf.cert]


def test_cross_signed_prefers_anchor(lab_ca: LabCA) -> None:
    """An intermediate that is also a trusted root (cross-signing) ends the path there."""
    leaf = lab_ca.issue("sbc.lab.test")
    chain = verify_chain(
        leaf.cert, [lab_ca.intermediate.cert], [lab_ca.intermediate.cert, lab_ca.root.cert]
    )
    assert chain.path == [leaf.cert, lab_ca.intermediate.cert]


def test_ec_issuer_signature() -> None:
    """Signature checks work for EC issuers too (Microsoft ECC Root CA 2017 chains)."""
    ca = LabCA("EC Test")
    ec_ca = ca.issue_ca("EC Intermediate", ca.intermediate, key_type="ec")
    leaf = ca.issue("sbc.lab.test", issuer=ec_ca)
    chain = verify_chain(leaf.cert, [ec_ca.cert, ca.intermediate.cert], [ca.root.cert])
    assert chain.intermediates == [ec_ca.cert, ca.intermediate.cert]
    assert not compat.is_signed_by(leaf.cert, ca.intermediate.cert)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
def test_agrees_with_openssl_verify(lab_ca: LabCA, other_ca: LabCA, tmp_path: Path) -> None:
    good = lab_ca.issue("sbc.lab.test")
    bad = other_ca.issue("sbc.lab.test")
    root = tmp_path / "root.pem"
    root.write_bytes(lab_ca.root.cert_pem)
    for leaf, ok in ((good, True), (bad, False)):
        untrusted = tmp_path / "untrusted.pem"
        untrusted.write_bytes(certificates_pem([lab_ca.intermediate.cert]))
        leaf_file = tmp_path / "leaf.pem"
        leaf_file.write_bytes(leaf.cert_pem)
        result = subprocess.run(
            ["openssl", "verify", "-CAfile", root, "-untrusted", untrusted, leaf_file],
            capture_output=True,
            check=False,
        )
        assert (result.returncode == 0) is ok
        try:
            verify_chain(leaf.cert, [lab_ca.intermediate.cert], [lab_ca.root.cert])
            ours = True
        except CertError:
            ours = False
        assert ours is ok


def test_real_microsoft_roots_are_self_signed() -> None:
    from sbc.certs.bundle import required_roots

    for root in required_roots():
        assert verify_chain(root, [], [root]).path == [root]
        assert compat.is_signed_by(root, root)
        assert isinstance(root, x509.Certificate)
