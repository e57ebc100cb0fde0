"""What the image leaves out (left-out.yaml) and `--packages-from` pinning."""

from __future__ import annotations

from pathlib import Path

import pytest
from passlib.hash import sha512_crypt

from imagebuild import leftout, outputs, pins, rootfs, settings
from imagebuild.run import BuildError

from .common import EPOCH
from .common import load as conf


def test_the_elements_table_gives_a_reason_for_everything(tmp_path: Path) -> None:
    table = leftout.load(conf().left_out_file)
    assert "software-properties-common" in table.packages
    assert all(len(why) > 20 for why in {**table.packages, **table.paths}.values())
    table.stage(tmp_path)
    assert "software-properties-common\n" in (tmp_path / "leave-out.packages").read_text()
    paths = (tmp_path / "leave-out.paths").read_text().splitlines()
    assert "/usr/lib/x86_64-linux-gnu/libmfxhw64.so*" in paths


@pytest.mark.parametrize("body, named", [
    ("packages:\n  foo:\n", "'foo' has no reason"),
    ("paths:\n  /etc/passwd: why not\n", "absolute glob under /usr/"),
    ("paths:\n  /usr/../etc: climbing\n", "absolute glob under /usr/"),
    ("packages: [unclosed\n", "cannot read"),
])
def test_bad_table_is_named(tmp_path: Path, body: str, named: str) -> None:
    path = tmp_path / "left-out.yaml"
    path.write_text(body)
    with pytest.raises(BuildError, match=named.replace("(", r"\(")):
        leftout.load(path)


def test_manifest_lists_packages_then_what_was_left_out(tmp_path: Path) -> None:
    table = leftout.LeftOut({"locales": "C.UTF-8 is built in"}, {"/usr/share/mfx": "plug-ins"})
    out = outputs.manifest([("bash", "5.2.15-2+b7", "amd64"), ("zstd", "1.5.4+dfsg2-5", "amd64")],
                           tmp_path / "x.manifest", table)
    text = out.read_text()
    assert text.startswith("# package\tversion\tarchitecture\nbash\t5.2.15-2+b7\tamd64\n")
    assert "#   package locales: C.UTF-8 is built in" in text
    assert "#   path /usr/share/mfx: plug-ins" in text
    # The manifest reads back as pins: comments skipped.
    assert pins.read_manifest(out) == {"bash": "5.2.15-2+b7", "zstd": "1.5.4+dfsg2-5"}


def test_pins_hold_every_package_at_its_version() -> None:
    text = pins.preferences({"zstd": "1.5.4+dfsg2-5", "bash": "5.2.15-2+b7"})
    assert text == ("Package: bash\nPin: version 5.2.15-2+b7\nPin-Priority: 1001\n\n"
                    "Package: zstd\nPin: version 1.5.4+dfsg2-5\nPin-Priority: 1001\n")


def test_differences_name_each_package() -> None:
    wanted = {"bash": "5.2.15-2+b7", "libssl3": "3.0.17-1~deb12u2", "gone": "1"}
    built = {"bash": "5.2.15-2+b7", "libssl3": "3.0.18-1~deb12u1", "new": "2"}
    assert pins.differences(wanted, built) == [
        "gone: 1 in the manifest, not in this build",
        "libssl3: 3.0.18-1~deb12u1 built, 3.0.17-1~deb12u2 in the manifest",
        "new: 2 in this build, not in the manifest",
    ]
    assert pins.differences(built, built) == []


def test_check_fails_with_the_snapshot_hint(tmp_path: Path) -> None:
    manifest = tmp_path / "old.manifest"
    manifest.write_text("# package\tversion\tarchitecture\nbash\t5.2.15-2+b7\tamd64\n")
    pins.check(manifest, {"bash": "5.2.15-2+b7"})
    with pytest.raises(BuildError) as err:
        pins.check(manifest, {"bash": "5.2.15-2+b8"})
    assert "bash: 5.2.15-2+b8 built, 5.2.15-2+b7 in the manifest" in str(err.value)
    assert "snapshot.debian.org" in str(err.value)


@pytest.mark.parametrize("body, named", [
    ("", "lists no packages"),
    ("bash 5.2\n", "expected 'package<TAB>version<TAB>arch'"),
])
def test_bad_manifest_is_named(tmp_path: Path, body: str, named: str) -> None:
    manifest = tmp_path / "m"
    manifest.write_text(body)
    with pytest.raises(BuildError, match=named.replace("<", ".")):
        pins.read_manifest(manifest)


def test_missing_manifest_is_named(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="no such file"):
        settings.load({"OPENSBC_MIRROR": "http://m/d", "OPENSBC_SECURITY_MIRROR": "http://m/s",
                       "SOURCE_DATE_EPOCH": "1", "OPENSBC_PACKAGES_FROM": str(tmp_path / "x")})


def test_pins_change_the_root_filesystem_cache_key(tmp_path: Path) -> None:
    from dataclasses import replace

    page = tmp_path / "cockpit" / "opensbc"
    page.mkdir(parents=True)
    (page / "index.js").write_text("x")
    base = replace(conf(), cockpit_dir=tmp_path / "cockpit")
    manifest = tmp_path / "m"
    manifest.write_text("bash\t1\tamd64\n")
    pinned = replace(base, packages_from=manifest)
    assert rootfs.os_digest(base) != rootfs.os_digest(pinned)
    assert rootfs.os_digest(base) != rootfs.os_digest(replace(base, os_epoch=2))
    # A commit that touches only Python sources or docs keeps the cached OS layer.
    assert rootfs.os_digest(base) == rootfs.os_digest(replace(base, source_date_epoch=2))


def test_root_hash_is_the_same_for_the_same_release() -> None:
    one, two = rootfs.root_hash(conf()), rootfs.root_hash(conf())
    assert one == two and sha512_crypt.verify("omc", one)
    assert rootfs.root_hash(conf(EPOCH + 1)) != one
