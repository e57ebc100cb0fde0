"""`sbc backup create|restore`: a round trip, and every refusal leaves the files as they
were, byte for byte (broken config, path traversal, links, a key without its certificate,
a key of another certificate, not a backup at all)."""

from __future__ import annotations

import datetime as dt
import io
import json
import stat
import tarfile
from pathlib import Path
from typing import Any

import pytest
from sbc.backup import archive
from sbc.backup.cli import main
from sbc.backup.restore import Place, check, create, setting_changes
from sbc.certs.pem import certificates_pem, key_pem
from sbc.certs.testpki import LabCA

REPO = Path(__file__).resolve().parents[2]
FQDN = "sbc.example.com"


@pytest.fixture(scope="module")
def lab_ca() -> LabCA:
    return LabCA("OpenSBC Test")


@pytest.fixture
def data(tmp_path: Path, lab_ca: LabCA) -> Path:
    """A data folder as on the box: config (with its TLS files here), certificate + chain,
    key, the lab root as an extra root, one extra profile."""
    folder = tmp_path / "data"
    folder.mkdir()
    text = (REPO / "examples/appliance.yaml").read_text()
    (folder / "sbc.yaml").write_text(text.replace("/data/", f"{folder}/"))
    leaf = lab_ca.issue(FQDN)
    (folder / "sbc.crt").write_bytes(certificates_pem([leaf.cert, lab_ca.intermediate.cert]))
    (folder / "sbc.key").write_bytes(key_pem(leaf.key))
    (folder / "sbc.key").chmod(0o600)
    (folder / "ca-extra.pem").write_bytes(certificates_pem([lab_ca.root.cert]))
    (folder / "profiles").mkdir()
    (folder / "profiles/extra.yaml").write_text("# an extra profile\n")
    return folder


@pytest.fixture
def systemctl(tmp_path: Path) -> tuple[str, Path]:
    log = tmp_path / "systemctl.log"
    script = tmp_path / "systemctl"
    script.write_text(f'#!/bin/sh\necho "$*" >> {log}\n')
    script.chmod(0o755)
    return str(script), log


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip().startswith("{") else {"out": out}


def restore_args(backup: Path, data: Path, systemctl: str, *more: str) -> list[str]:
    return ["backup", "restore", str(backup), "--json", "--data-dir", str(data),
            "--config", str(data / "sbc.yaml"), "--systemctl", systemctl,
            "--system-store", str(data / "no-system-store"), *more]


def make_backup(data: Path, out: Path) -> Path:
    assert main(["backup", "create", "--data-dir", str(data), "--config",
                 str(data / "sbc.yaml"), "--out", str(out)]) == 0
    return out


def tar_gz(entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for info, body in entries:
            tar.addfile(info, io.BytesIO(body) if body is not None else None)
    return raw.getvalue()


def member(name: str, body: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(body)
    return info, body


def rewrite(backup: Path, out: Path, changes: dict[str, bytes | None],
            fix_manifest: bool = False) -> Path:
    """The backup with members replaced (None: left out), as someone editing it would."""
    with tarfile.open(backup) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]
    for name, body in changes.items():
        if body is None:
            files.pop(name, None)
        else:
            files[name] = body
    if fix_manifest:
        manifest = json.loads(files["manifest.json"])
        manifest["files"] = [e for e in manifest["files"] if e["name"] in files]
        files["manifest.json"] = json.dumps(manifest).encode()
    out.write_bytes(tar_gz([member(n, b) for n, b in files.items()]))
    return out


# -- create ---------------------------------------------------------------------------


def test_create_holds_the_files_with_a_manifest(data: Path, tmp_path: Path) -> None:
    backup = make_backup(data, tmp_path / "b.tar.gz")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    with tarfile.open(backup) as tar:
        infos = {m.name: m for m in tar}
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        assert tar.extractfile("sbc.key").read() == (data / "sbc.key").read_bytes()  # type: ignore[union-attr]
    assert list(infos) == ["manifest.json", "sbc.yaml", "sbc.crt", "sbc.key", "ca-extra.pem",
                           "profiles/extra.yaml"]
    assert infos["sbc.key"].mode == 0o600 and infos["sbc.yaml"].mode == 0o600
    assert infos["sbc.crt"].mode == 0o644 and infos["sbc.key"].uname == "root"
    assert manifest["product"] == "OpenSBC" and manifest["format"] == 1
    assert manifest["fqdn"] == FQDN and manifest["created"].endswith("Z")
    assert [f["name"] for f in manifest["files"]] == list(infos)[1:]
    assert all(len(f["sha256"]) == 64 for f in manifest["files"])


def test_create_json_names_the_file_and_does_not_overwrite(
        data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.tar.gz"
    code, answer = cli("backup", "create", "--json", "--data-dir", str(data), "--config",
                       str(data / "sbc.yaml"), "--out", str(out), capsys=capsys)
    assert code == 0 and answer["ok"] and answer["path"] == str(out)
    assert answer["name"] == f"opensbc-{FQDN}-{dt.datetime.now(dt.UTC):%Y-%m-%d}.tar.gz"
    assert answer["size"] == out.stat().st_size
    code, answer = cli("backup", "create", "--json", "--data-dir", str(data), "--out",
                       str(out), capsys=capsys)
    assert code == 1 and "exists already" in answer["error"]


def test_create_follows_the_environment(data: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENSBC_DATA_DIR", str(data))
    monkeypatch.delenv("OPENSBC_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["backup", "create"]) == 0
    made = list(tmp_path.glob("opensbc-sbc.example.com-*.tar.gz"))
    assert len(made) == 1
    assert archive.read(made[0].read_bytes()).files["sbc.yaml"] == (data / "sbc.yaml").read_bytes()


def test_same_files_same_bytes(data: Path) -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    place = Place(data, data / "sbc.yaml")
    assert create(place, now=when).data == create(place, now=when).data


# -- restore --------------------------------------------------------------------------


def test_round_trip(data: Path, tmp_path: Path, systemctl: tuple[str, Path],
                    capsys: pytest.CaptureFixture[str]) -> None:
    config = data / "sbc.yaml"
    config.write_text(config.read_text().replace("CHANGE-ME", "secret1"))
    before = snapshot(data)
    backup = make_backup(data, tmp_path / "b.tar.gz")
    config.write_text(config.read_text().replace("203.0.113.10", "198.51.100.7")
                      .replace("secret1", "secret2"))
    (data / "ca-extra.pem").unlink()
    (data / "sbc.key").write_bytes(b"garbage")
    (data / "profiles/extra.yaml").unlink()

    code, dry = cli(*restore_args(backup, data, systemctl[0], "--dry-run"), capsys=capsys)
    assert code == 0 and dry["ok"] and dry["dry_run"] and not dry["restored"]
    assert dry["changes"] == ["sbc.public_ip", "connections.Telekom.password"]
    actions = {f["name"]: f["action"] for f in dry["files"]}
    assert actions == {"sbc.yaml": "replace", "sbc.crt": "unchanged", "sbc.key": "replace",
                       "ca-extra.pem": "create", "profiles/extra.yaml": "create"}
    assert dry["certificate"]["usable"] and dry["errors"] == []
    assert dry["backup"]["fqdn"] == FQDN
    assert "secret1" not in json.dumps(dry) and "secret2" not in json.dumps(dry)
    assert not systemctl[1].exists() and b"198.51.100.7" in config.read_bytes()

    code, done = cli(*restore_args(backup, data, systemctl[0]), capsys=capsys)
    assert code == 0 and done["ok"] and done["restored"], done
    after = snapshot(data)
    for name, body in before.items():
        assert after[name] == body, name
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "sbc.key").stat().st_mode) == 0o600
    # key and certificate installed as one pair (certs.pair): both links into one folder
    assert (data / "sbc.key").is_symlink() and (data / "sbc.crt").is_symlink()
    assert (data / "sbc.key").resolve().parent == (data / "sbc.crt").resolve().parent
    assert b"OpenSBC Test Root CA" in (data / "ca.pem").read_bytes()  # rebuilt with the extra root
    assert done["applied"] == ["restart opensbc-media", "reload opensbc"]
    assert systemctl[1].read_text() == ("restart opensbc-media.service\n"
                                        "reload-or-restart opensbc.service\n")
    # what was replaced is kept
    assert done["previous"] == str(data / "backup-before-restore.tar.gz")
    kept = archive.read((data / "backup-before-restore.tar.gz").read_bytes())
    assert kept.files["sbc.key"] == b"garbage" and b"198.51.100.7" in kept.files["sbc.yaml"]
    assert not list(data.glob(".restore-*"))  # no scratch folder left


def test_broken_config_is_refused_and_nothing_changes(
        data: Path, tmp_path: Path, systemctl: tuple[str, Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    backup = make_backup(data, tmp_path / "b.tar.gz")
    text = (data / "sbc.yaml").read_text().replace("fqdn: sbc.example.com",
                                                   "fqdn: not_a_name!")
    tampered = rewrite(backup, tmp_path / "t.tar.gz", {"sbc.yaml": text.encode()})
    (data / "sbc.yaml").write_text((data / "sbc.yaml").read_text() + "# changed\n")
    before = snapshot(data)
    code, answer = cli(*restore_args(tampered, data, systemctl[0]), capsys=capsys)
    assert code == 1 and not answer["ok"] and not answer["restored"]
    [error] = answer["errors"]
    assert error["file"] == "sbc.yaml" and error["line"] == 10 and error["field"] == "sbc.fqdn"
    assert error["text"].startswith("sbc.yaml:10: sbc.fqdn: ")
    assert any("changed after the backup was made" in w["text"] for w in answer["warnings"])
    assert snapshot(data) == before
    assert not systemctl[1].exists()


def test_refusal_in_words(data: Path, tmp_path: Path, systemctl: tuple[str, Path],
                          capsys: pytest.CaptureFixture[str]) -> None:
    backup = make_backup(data, tmp_path / "b.tar.gz")
    tampered = rewrite(backup, tmp_path / "t.tar.gz", {"sbc.yaml": b"sbc: [1, 2\n"})
    args = restore_args(tampered, data, systemctl[0])
    args.remove("--json")
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "sbc.yaml:" in err and "refused: 1 error(s); nothing restored" in err


@pytest.mark.parametrize("name", ["../sbc.yaml", "/etc/passwd", "profiles/../../x.yaml",
                                  "sbc.yaml/../../evil", "other.txt", "profiles/a/b.yaml"])
def test_paths_outside_the_backup_are_refused(
        name: str, data: Path, tmp_path: Path, systemctl: tuple[str, Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    manifest = json.dumps({"product": "OpenSBC", "format": 1, "files": []}).encode()
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(tar_gz([member("manifest.json", manifest), member(name, b"x: 1\n")]))
    before = snapshot(data)
    code, answer = cli(*restore_args(bad, data, systemctl[0]), capsys=capsys)
    assert code == 1 and answer["errors"][0]["file"] == name
    assert snapshot(data) == before
    assert not (tmp_path / "evil").exists() and not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE])
def test_links_and_devices_are_refused(kind: bytes, data: Path, tmp_path: Path) -> None:
    info = tarfile.TarInfo("sbc.key")
    info.type = kind
    info.linkname = "/etc/shadow"
    manifest = json.dumps({"product": "OpenSBC", "format": 1, "files": []}).encode()
    with pytest.raises(archive.BackupError) as refused:
        archive.read(tar_gz([member("manifest.json", manifest), (info, None)]))
    assert refused.value.member == "sbc.key"


def test_not_a_backup(tmp_path: Path) -> None:
    with pytest.raises(archive.BackupError, match="not gzip-compressed"):
        archive.read(b"PK\x03\x04 a zip")
    with pytest.raises(archive.BackupError, match="has no manifest.json"):
        archive.read(tar_gz([member("sbc.yaml", b"sbc: {}\n")]))
    with pytest.raises(archive.BackupError, match="damaged"):
        archive.read(b"\x1f\x8b" + b"\x00" * 40)
    other = json.dumps({"product": "Other", "format": 1, "files": []}).encode()
    with pytest.raises(archive.BackupError, match="not an OpenSBC backup"):
        archive.read(tar_gz([member("manifest.json", other)]))
    newer = json.dumps({"product": "OpenSBC", "format": 9, "version": "9.0",
                        "files": []}).encode()
    with pytest.raises(archive.BackupError, match="update the SBC first"):
        archive.read(tar_gz([member("manifest.json", newer)]))


def test_a_huge_file_is_not_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(archive, "MAX_ARCHIVE", 100)
    big = tmp_path / "big.tar.gz"
    big.write_bytes(b"\x1f\x8b" + b"\x00" * 10_000)
    code, answer = cli("backup", "restore", str(big), "--json", "--data-dir",
                       str(tmp_path / "data"), capsys=capsys)
    assert code == 1 and "at most 100" in answer["errors"][0]["message"]


def test_size_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = json.dumps({"product": "OpenSBC", "format": 1, "files": []}).encode()
    monkeypatch.setattr(archive, "MAX_FILE", 1000)
    with pytest.raises(archive.BackupError, match="at most 1000") as refused:
        archive.read(tar_gz([member("manifest.json", manifest),
                             member("sbc.yaml", b"#" * 5000)]))
    assert refused.value.member == "sbc.yaml"
    monkeypatch.setattr(archive, "MAX_ARCHIVE", 10)
    with pytest.raises(archive.BackupError, match="at most 10"):
        archive.read(tar_gz([member("manifest.json", manifest)]))


def test_incomplete_archive(data: Path, tmp_path: Path) -> None:
    backup = make_backup(data, tmp_path / "b.tar.gz")
    cut = rewrite(backup, tmp_path / "c.tar.gz", {"ca-extra.pem": None})
    with pytest.raises(archive.BackupError, match="lists ca-extra.pem, but the archive lacks"):
        archive.read(cut.read_bytes())


def test_key_without_its_certificate(data: Path, tmp_path: Path, systemctl: tuple[str, Path],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    backup = make_backup(data, tmp_path / "b.tar.gz")
    keyonly = rewrite(backup, tmp_path / "k.tar.gz", {"sbc.crt": None}, fix_manifest=True)
    before = snapshot(data)
    code, answer = cli(*restore_args(keyonly, data, systemctl[0]), capsys=capsys)
    assert code == 1
    assert [e["file"] for e in answer["errors"]] == ["sbc.key"]
    assert "without its certificate" in answer["errors"][0]["message"]
    assert snapshot(data) == before
    certonly = rewrite(backup, tmp_path / "c.tar.gz", {"sbc.key": None}, fix_manifest=True)
    code, answer = cli(*restore_args(certonly, data, systemctl[0]), capsys=capsys)
    assert code == 1 and "without its private key" in answer["errors"][0]["message"]


def test_key_of_another_certificate_is_refused(
        data: Path, tmp_path: Path, lab_ca: LabCA, systemctl: tuple[str, Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    backup = make_backup(data, tmp_path / "b.tar.gz")
    other = lab_ca.issue(FQDN)
    mixed = rewrite(backup, tmp_path / "m.tar.gz", {"sbc.key": key_pem(other.key)})
    before = snapshot(data)
    code, answer = cli(*restore_args(mixed, data, systemctl[0]), capsys=capsys)
    assert code == 1
    [error] = answer["errors"]
    assert error["file"] == "sbc.crt" and error["message"].startswith("key check: ")
    assert "the private key sbc.key does not belong" in error["message"]  # no scratch path
    assert snapshot(data) == before


def test_expired_certificate_restores_with_a_warning(
        data: Path, tmp_path: Path, lab_ca: LabCA, systemctl: tuple[str, Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    old = lab_ca.issue("other.example.net", days=-5)
    (data / "sbc.crt").write_bytes(certificates_pem([old.cert, lab_ca.intermediate.cert]))
    (data / "sbc.key").write_bytes(key_pem(old.key))
    backup = make_backup(data, tmp_path / "b.tar.gz")
    code, answer = cli(*restore_args(backup, data, systemctl[0]), capsys=capsys)
    assert code == 0 and answer["restored"]
    checks = {w["message"].split(" check:")[0] for w in answer["warnings"]
              if w["file"] == "sbc.crt"}
    assert {"fqdn", "validity"} <= checks
    assert answer["certificate"]["usable"] is False


def test_no_certificate_in_the_backup_keeps_the_installed_one(
        data: Path, tmp_path: Path, systemctl: tuple[str, Path]) -> None:
    backup = make_backup(data, tmp_path / "b.tar.gz")
    bare = rewrite(backup, tmp_path / "n.tar.gz", {"sbc.crt": None, "sbc.key": None},
                   fix_manifest=True)
    plan = check(archive.read(bare.read_bytes()), Place(data, data / "sbc.yaml"),
                 system_store=None)
    assert plan.ok
    assert {f.name: f.action for f in plan.files}["sbc.key"] == "keep"
    assert any("no certificate" in w.text for w in plan.warnings)


def test_setting_changes_name_no_values() -> None:
    old = b"sbc: {fqdn: a.example.com}\nconnections:\n- {name: T, password: x}\n"
    new = (b"sbc: {fqdn: b.example.com}\nconnections:\n- {name: T, password: y}\n"
           b"- {name: U}\ntrace: {path: /x}\n")
    assert setting_changes(old, new) == [
        "sbc.fqdn", "connections.T.password", "connections.U (added)", "trace (added)"]


def test_restore_reads_stdin(data: Path, tmp_path: Path, systemctl: tuple[str, Path],
                             monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    backup = make_backup(data, tmp_path / "b.tar.gz")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(backup.read_bytes())))
    code, answer = cli(*restore_args(Path("-"), data, systemctl[0], "--dry-run"),
                       capsys=capsys)
    assert code == 0 and answer["ok"]


def test_sbc_command_has_backup(capsys: pytest.CaptureFixture[str]) -> None:
    from sbc.cli import main as sbc_main

    with pytest.raises(SystemExit):
        sbc_main(["backup", "--help"])
    assert "create" in capsys.readouterr().out
