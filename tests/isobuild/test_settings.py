from __future__ import annotations

from pathlib import Path

import pytest

from imagebuild import settings
from imagebuild.run import BuildError

ONE_LINE = """\
# comment
deb http://mirror.example.org/debian bookworm main contrib
deb [signed-by=/x.gpg arch=amd64] http://mirror.example.org/debian bookworm-updates main
deb http://security.example.org/debian-security bookworm-security main
deb-src http://mirror.example.org/debian bookworm main
"""

DEB822 = """\
Types: deb
# a comment line
URIs: http://mirror.example.net/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example.net/debian-security
Suites: bookworm-security
Components: main

Types: deb
Enabled: no
URIs: http://disabled.example.net/debian
Suites: trixie
Components: main
"""


def test_one_line_sources() -> None:
    src = settings.parse_one_line(ONE_LINE)
    assert settings.pick_mirrors(src, "bookworm") == (
        "http://mirror.example.org/debian",
        "http://security.example.org/debian-security",
    )


def test_deb822_sources() -> None:
    src = settings.parse_deb822(DEB822)
    assert [s.uri for s in src] == [
        "http://mirror.example.net/debian",
        "http://mirror.example.net/debian-security",
    ]
    assert settings.pick_mirrors(src, "bookworm") == (
        "http://mirror.example.net/debian",
        "http://mirror.example.net/debian-security",
    )


def test_host_sources_reads_both_styles(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(DEB822)
    (tmp_path / "sources.list.d" / "other.list").write_text(
        "deb http://apt.example.com/x stable main\n"
    )
    uris = [s.uri for s in settings.host_sources(tmp_path)]
    assert uris[:2] == ["http://mirror.example.net/debian", "http://mirror.example.net/debian-security"]
    assert "http://apt.example.com/x" in uris


def test_environment_overrides_mirror() -> None:
    env = {
        "OPENSBC_MIRROR": "http://m.example/debian",
        "OPENSBC_SECURITY_MIRROR": "http://m.example/debian-security",
        "OPENSBC_COMPRESSION": "zstd",
    }
    conf = settings.load(env)
    assert conf.mirror == "http://m.example/debian"
    assert conf.compression == "zstd"
    assert conf.iso_name.startswith("opensbc-")


def test_bad_compression_is_named() -> None:
    env = {"OPENSBC_MIRROR": "http://m/d", "OPENSBC_SECURITY_MIRROR": "http://m/s",
           "OPENSBC_COMPRESSION": "lzma"}
    with pytest.raises(BuildError, match="unknown compression 'lzma'"):
        settings.load(env)
