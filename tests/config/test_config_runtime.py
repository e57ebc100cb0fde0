"""Reload (SIGHUP), atomic save, `sbc check`, number plans, the syslog hand-over."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sbc.config import ConfigError, ConfigHolder, NumberPlan, check_main, log_settings, save_config

from .conftest import MINIMAL, WriteConfig

UDP_ONLY = MINIMAL + "  listen: [{transport: udp}]\n"


def test_reload_keeps_running_config_on_error(write_config: WriteConfig) -> None:
    path = write_config(UDP_ONLY)
    holder = ConfigHolder(path)
    first = holder.config

    path.write_text(UDP_ONLY + "  options_interval: 1\n")
    result = holder.reload()
    assert not result.ok and holder.config is first
    assert [str(e) for e in result.errors] == [
        f"{path}:5: sbc.options_interval: must be between 10 and 3600 seconds (got 1)"
    ]
    assert "keeping the running config" in result.summary()

    path.write_text(UDP_ONLY)
    same = holder.reload()
    assert same.ok and not same.changed and holder.config == first

    path.write_text(UDP_ONLY + "  options_interval: 30\n")
    result = holder.reload()
    assert result.ok and result.changed and holder.config.sbc.options_interval == 30


def test_first_load_must_succeed(write_config: WriteConfig) -> None:
    with pytest.raises(ConfigError):
        ConfigHolder(write_config("sbc: {}\n"))


def test_holder_requires_certificate_files(write_config: WriteConfig) -> None:
    with pytest.raises(ConfigError) as info:
        ConfigHolder(write_config(MINIMAL))
    assert {e.field for e in info.value.errors} == {
        "sbc.tls.cert",
        "sbc.tls.key",
        "sbc.tls.ca_bundle",
    }


def test_save_validates_then_writes_atomically(tmp_path: Path) -> None:
    path = tmp_path / "sbc.yaml"
    path.write_text(UDP_ONLY)
    with pytest.raises(ConfigError) as info:
        save_config(path, "sbc:\n  fqdn: 10.0.0.1\n  public_ip: 203.0.113.10\n")
    assert str(info.value.errors[0]).startswith(f"{path}:2: sbc.fqdn: must be a DNS name")
    assert path.read_text() == UDP_ONLY
    config = save_config(path, UDP_ONLY + "  options_interval: 45\n")
    assert config.sbc.options_interval == 45
    assert "options_interval: 45" in path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sbc.yaml"]  # no temp files left


def test_check_main_ok(write_config: WriteConfig, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(
        UDP_ONLY + "  options_interval: 200\nconnections:\n  - {name: T, profile: teams-generic}\n"
    )
    assert check_main(["--config", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == "config OK: 3 connections (T1, T2, T3)\n"
    assert f"{path}:5: sbc.options_interval: warning:" in err
    assert "no TLS listener" in err


def test_check_main_errors(write_config: WriteConfig, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(
        "sbc:\n  fqdn: sbc.example.com\n  public_ip: x\n  listen: [{transport: tsl}]\n"
    )
    assert check_main(["--config", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{path}:3: sbc.public_ip: must be an IPv4 address (got 'x')",
        f"{path}:4: sbc.listen[0].transport: must be one of udp, tcp, tls (got 'tsl')",
        f"{path}: 2 error(s)",
    ]


def test_check_main_strict(write_config: WriteConfig, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(MINIMAL)
    assert check_main(["--config", str(path)]) == 0
    assert check_main(["--config", str(path), "--strict"]) == 1
    assert "sbc.tls.cert: file /data/sbc.crt does not exist" in capsys.readouterr().err


def test_number_plan() -> None:
    plan = NumberPlan("49", "0", "00", "national")
    assert plan.to_e164("030123456") == "+4930123456"
    assert plan.to_e164("0044207123") == "+44207123"
    assert plan.to_e164("+4930123") == "+4930123"
    assert plan.from_e164("+4930123456") == "030123456"
    assert plan.from_e164("+44207123") == "0044207123"
    assert NumberPlan("49", "0", "00", "e164").from_e164("+4930123") == "+4930123"


def test_log_settings(write_config: WriteConfig) -> None:
    from sbc.config import load_config

    local = log_settings(load_config(write_config(UDP_ONLY)))
    assert local.host is None and local.hostname == "sbc.example.com"
    tls = load_config(
        write_config(UDP_ONLY + "syslog: {host: 192.0.2.50, protocol: tls, port: 6514}\n", "b.yaml")
    )
    remote = log_settings(tls)
    assert (remote.host, remote.port, remote.protocol) == ("192.0.2.50", 6514, "tls")
    assert remote.ca_file == "/data/ca.pem"
    assert remote.hostname == "sbc.example.com" and remote.facility == "local0"


def test_trace_settings(write_config: WriteConfig) -> None:
    from sbc.config import load_config, trace_settings

    config = load_config(write_config(UDP_ONLY + "trace: {enabled: true, files: 2}\n"))
    run = trace_settings(config)
    assert (run.path, run.include_options, run.files) == (Path("/data/trace/sip.pcap"), False, 2)
    assert run.max_bytes == config.trace.max_bytes
