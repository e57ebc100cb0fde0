"""The first /data/sbc.yaml: written from the wizard's answers, valid and running as it is
(Teams waiting for a certificate), never over an admin's file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sbc.config import load_config
from sbc.config.seed import FALLBACK_FQDN, main, render_seed, seed, system_fqdn


def test_seed_loads_with_the_answers_and_the_teams_connection(tmp_path: Path) -> None:
    path = tmp_path / "sbc.yaml"
    result = seed(path, "SBC1.Contoso.DE.", "198.18.4.7", system_store=None)
    assert result.written and result.bundle == tmp_path / "ca.pem"
    config = load_config(path)
    assert config.sbc.fqdn == "sbc1.contoso.de" and str(config.sbc.public_ip) == "198.18.4.7"
    assert [(x.transport, x.port) for x in config.sbc.listen] == [
        ("udp", 5060), ("tcp", 5060), ("tls", 5061)]
    assert [c.name for c in config.connections] == ["Teams1", "Teams2", "Teams3"]
    assert config.unconfigured == ()
    assert config.sbc.tls.cert == Path("/data/sbc.crt")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "# - name: Telekom" in path.read_text()  # the carrier, explained for later


def test_an_existing_file_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "sbc.yaml"
    path.write_text("sbc: {fqdn: mine.contoso.de, public_ip: 198.18.0.1}\n")
    before = path.read_bytes()
    assert not seed(path, "sbc1.contoso.de", "198.18.4.7", system_store=None).written
    assert path.read_bytes() == before


@pytest.mark.parametrize(("fqdn", "address", "field"), [
    ("sbc1", "198.18.4.7", "sbc.fqdn"),
    ("10.0.0.1", "198.18.4.7", "sbc.fqdn"),
    ("sbc1.contoso.de", "fe80::1", "sbc.public_ip"),
])
def test_bad_answers_write_nothing(tmp_path: Path, fqdn: str, address: str, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        seed(tmp_path / "sbc.yaml", fqdn, address, system_store=None)
    assert not (tmp_path / "sbc.yaml").exists()


def test_system_fqdn_prefers_the_wizards_answer(tmp_path: Path) -> None:
    done = tmp_path / "firstboot-done"
    done.write_text("2026-12-06T00:00:00Z sbc7.contoso.de\n")
    assert system_fqdn(done) == "sbc7.contoso.de"
    done.write_text("2026-12-06T00:00:00Z opensbc\n")
    assert system_fqdn(done) in (FALLBACK_FQDN, system_fqdn(tmp_path / "none"))


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "sbc.yaml"
    args = ["--config", str(path), "--system-store", str(tmp_path / "no-store")]
    assert main([*args, "--fqdn", "sbc1.contoso.de", "--public-ip", "198.18.4.7"]) == 0
    assert f"wrote {path} for sbc1.contoso.de (198.18.4.7)" in capsys.readouterr().out
    assert main([*args, "--from-system"]) == 0
    assert "exists; left as it is" in capsys.readouterr().out
    assert main(["--config", str(tmp_path / "x.yaml"), "--fqdn", "x", "--public-ip",
                 "198.18.4.7"]) == 1
    assert "not written: sbc.fqdn" in capsys.readouterr().err


def test_render_sets_the_answers_and_keeps_the_comments() -> None:
    text = render_seed("sbc1.contoso.de", "198.18.4.7")
    assert "  fqdn: sbc1.contoso.de\n" in text and "  public_ip: 198.18.4.7\n" in text
    assert "example.com" not in text and "203.0.113" not in text
    assert "# The SBC's public DNS name" in text
    assert max(len(line) for line in text.splitlines()) <= 100
