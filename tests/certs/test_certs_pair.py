"""certs.pair: the key and the certificate are installed as one step, also when the
importer is killed at any moment, and what a killed install leaves is removed."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sbc.certs import pair
from sbc.certs.assess import keys_match
from sbc.certs.pair import install_pair, remove_leftovers
from sbc.certs.paths import CertPaths
from sbc.certs.pem import certificates_pem, load_certificates, load_private_key
from sbc.certs.testpki import Issued, LabCA

FQDN = "sbc.lab.test"
KILLS = 30
REPO = Path(__file__).resolve().parents[2]


def installed(paths: CertPaths) -> tuple[bytes, bytes]:
    return paths.cert.read_bytes(), paths.key.read_bytes()


def consistent(paths: CertPaths) -> bool:
    cert, key = installed(paths)
    return keys_match(load_certificates(cert)[0], load_private_key(key))


def test_fresh_install_links_both_names(paths: CertPaths, lab_ca: LabCA) -> None:
    leaf = lab_ca.issue(FQDN)
    folder = install_pair(paths, leaf.cert_pem, leaf.key_pem)
    assert installed(paths) == (leaf.cert_pem, leaf.key_pem)
    assert os.readlink(paths.cert) == "tls/current/sbc.crt"
    assert os.readlink(paths.key) == "tls/current/sbc.key"
    assert (paths.data_dir / "tls" / "current").resolve() == folder.resolve()
    assert stat.S_IMODE(paths.key.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.cert.stat().st_mode) == 0o644
    assert sorted(p.name for p in (paths.data_dir / "tls").iterdir()) == ["current", folder.name]


def test_a_tls_load_takes_both_files_from_one_pair(paths: CertPaths, lab_ca: LabCA,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An install between resolving the certificate and the key must not mix them."""
    old, new = lab_ca.issue(FQDN), lab_ca.issue(FQDN)
    first = install_pair(paths, old.cert_pem, old.key_pem)
    real = os.path.realpath
    swapped: list[bool] = []

    def realpath_with_install_between(path: object) -> str:
        result = real(path)  # type: ignore[call-overload]
        if not swapped:  # right after the certificate's link: the next pair goes in
            swapped.append(True)
            install_pair(paths, new.cert_pem, new.key_pem)
        return str(result)

    monkeypatch.setattr(pair.os.path, "realpath", realpath_with_install_between)
    cert, key = pair.same_pair(paths.cert, paths.key)
    monkeypatch.undo()
    # never the new certificate with the old key: both from the pair resolved first
    assert Path(cert).parent == Path(key).parent == first.resolve()
    assert Path(key).name == "sbc.key" and Path(cert).name == "sbc.crt"
    outside = paths.data_dir / "elsewhere.crt"
    assert pair.same_pair(outside, paths.data_dir / "other.key") == (
        str(outside), str(paths.data_dir / "other.key"))


def test_regular_files_are_adopted_then_replaced(paths: CertPaths, lab_ca: LabCA) -> None:
    old, new = lab_ca.issue(FQDN), lab_ca.issue(FQDN)
    paths.cert.write_bytes(old.cert_pem)  # as installed before pairs (or by a restore)
    paths.key.write_bytes(old.key_pem)
    install_pair(paths, new.cert_pem, new.key_pem)
    assert installed(paths) == (new.cert_pem, new.key_pem)
    assert len([p for p in (paths.data_dir / "tls").iterdir() if p.name != "current"]) == 1


def test_leftovers_of_killed_writes_are_removed(paths: CertPaths, lab_ca: LabCA) -> None:
    leaf = lab_ca.issue(FQDN)
    install_pair(paths, leaf.cert_pem, leaf.key_pem)
    pairs = paths.data_dir / "tls"
    (pairs / ".new-abc").mkdir()
    (pairs / ".new-abc" / "sbc.key").write_bytes(b"half")
    (pairs / "pair-1").mkdir()  # complete, but never made current
    (paths.data_dir / ".sbc.key.x1y2z3.tmp").write_bytes(b"half")  # util.atomic's naming
    (paths.data_dir / "sbc.yaml").write_text("sbc: {}\n")  # not ours: stays
    removed = {p.name for p in remove_leftovers(paths)}
    assert removed == {".new-abc", "pair-1", ".sbc.key.x1y2z3.tmp"}
    assert consistent(paths) and (paths.data_dir / "sbc.yaml").exists()


# The importer in a child: it says "ready" once imported, installs on a line from stdin.
CHILD = """
import sys
from pathlib import Path
from sbc.certs.importer import import_certificate
from sbc.certs.paths import CertPaths
data, cert, key = (Path(a) for a in sys.argv[1:4])
cert_data, key_data = cert.read_bytes(), key.read_bytes()
print("ready", flush=True)
sys.stdin.readline()
import_certificate(cert_data, fqdn="sbc.lab.test", paths=CertPaths(data), key_data=key_data,
                   system_store=None)
print("done", flush=True)
"""


def _write_leaf(directory: Path, ca: LabCA, leaf: Issued) -> tuple[Path, Path]:
    directory.mkdir()
    cert, key = directory / "sbc.crt", directory / "sbc.key"
    cert.write_bytes(certificates_pem(ca.chain(leaf)))
    key.write_bytes(leaf.key_pem)
    return cert, key


def _run_child(paths: CertPaths, files: tuple[Path, Path], kill_after: float | None) -> bool:
    """Import `files` in a child, SIGKILLed `kill_after` s after the go; True if done."""
    env = dict(os.environ, PYTHONPATH=str(REPO / "appliance"))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(paths.data_dir), *map(str, files)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline() == b"ready\n"
        child.stdin.write(b"go\n")
        child.stdin.flush()
        if kill_after is not None:
            try:
                child.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        return child.returncode == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)


def test_import_killed_at_random_points_keeps_a_matching_pair(
        tmp_path: Path, paths: CertPaths, lab_ca: LabCA) -> None:
    lab_ca.write_root(paths.ca_bundle)
    leaves = [lab_ca.issue(FQDN), lab_ca.issue(FQDN)]
    files = [_write_leaf(tmp_path / f"leaf{i}", lab_ca, leaf) for i, leaf in enumerate(leaves)]
    assert _run_child(paths, files[0], None)
    rng = random.Random(11)
    outcomes = {"old": 0, "new": 0}
    for attempt in range(KILLS):
        target = leaves[1]  # the pair not installed
        before = installed(paths)
        _run_child(paths, files[1], rng.uniform(0.02, 0.07))
        now = installed(paths)
        assert consistent(paths), f"attempt {attempt}: key and certificate do not match"
        assert now == before or now[1] == target.key_pem
        outcomes["old" if now == before else "new"] += 1
        if now != before:  # the other pair next
            leaves.reverse()
            files.reverse()
    print(f"{KILLS} kills: {outcomes}")
    # A later install clears whatever the killed ones left.
    assert _run_child(paths, files[0], None)
    pairs = paths.data_dir / "tls"
    assert len(list(pairs.iterdir())) == 2  # `current` and its pair
    assert not list(paths.data_dir.glob(".*.tmp"))
    assert consistent(paths)


@pytest.mark.parametrize("missing", ["sbc.crt", "sbc.key"])
def test_a_missing_half_stays_missing_until_installed(
        paths: CertPaths, lab_ca: LabCA, missing: str) -> None:
    leaf = lab_ca.issue(FQDN)
    present = paths.key if missing == "sbc.crt" else paths.cert
    present.write_bytes(leaf.key_pem if missing == "sbc.crt" else leaf.cert_pem)
    new = lab_ca.issue(FQDN)
    install_pair(paths, new.cert_pem, new.key_pem)
    assert installed(paths) == (new.cert_pem, new.key_pem)
