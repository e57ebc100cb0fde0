"""`sbc` commands that need no running SBC: version, check, status when nothing runs,
the status table, lab-pki."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from sbc.cli import main
from sbc.config import load_config
from sbc.status import format_status, public_json, read_status

REPO = Path(__file__).resolve().parents[2]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == "OpenSBC 0.1.0"


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "run" in capsys.readouterr().err


def test_check_is_sbc_config_check_main(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--config", str(REPO / "examples" / "appliance.yaml")]) == 0
    assert "config OK" in capsys.readouterr().out
    assert main(["check", "--config", "/nonexistent/sbc.yaml"]) == 1


def test_status_says_clearly_when_the_sbc_is_not_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--run-dir", str(tmp_path)]) == 3
    assert "not running" in capsys.readouterr().err
    # A status file left behind by a process that is gone.
    (tmp_path / "status.json").write_text(json.dumps({"pid": 2**22 + 12345,
                                                      "updated": time.time()}))
    assert main(["status", "--run-dir", str(tmp_path), "--json"]) == 3
    assert "is gone" in capsys.readouterr().err
    # Our own pid, but not updated for a minute: hung.
    (tmp_path / "status.json").write_text(json.dumps({"pid": os.getpid(),
                                                      "updated": time.time() - 60}))
    assert main(["status", "--run-dir", str(tmp_path)]) == 3
    assert "not responding" in capsys.readouterr().err
    assert main(["trace", "status", "--run-dir", str(tmp_path)]) == 3


SAMPLE = {
    "product": "OpenSBC 0.1.0",
    "pid": 1,
    "started": 1_000_000.0,
    "updated": 1_000_100.0,
    "sbc": {"fqdn": "sbc.example.com", "listening": ["udp 0.0.0.0:5060", "tls 0.0.0.0:5061"]},
    "certificate": {"subject": "sbc.example.com", "not_after": "2027-01-01 00:00 UTC",
                    "days_left": 20},
    "config": {"last_reload": {"at": 1_000_050.0, "ok": False,
                               "errors": ["sbc.yaml:3: sbc.fqdn: not a DNS name"]}},
    "connections": [
        {"name": "Telekom", "target": "tcp reg.sip-trunk.telekom.de 217.0.0.1:5060",
         "registration": {"state": "registered", "code": 200, "expires_at": 1_000_400.0},
         "options_out": {"state": "up", "code": 200, "reason": "OK", "rtt_ms": 12.3,
                         "since": 1_000_010.0},
         "options_in": None},
        {"name": "Teams1", "target": "tls sip.pstnhub.microsoft.com 52.114.1.1:5061",
         "registration": None,
         "options_out": {"state": "down", "code": None, "error": "timeout: no response",
                         "rtt_ms": None, "since": 1_000_020.0},
         "options_in": {"last_seen": 1_000_090.0, "count": 3}},
    ],
    "dropped": {"total": 7, "sources": {"203.0.113.9": {"count": 7}}},
    "engine": {"malformed": 2, "error_answers": 1},
    "trace": {"active": True, "path": "/data/trace/sip.pcap", "messages": 42},
}


def test_status_table() -> None:
    text = format_status(SAMPLE, now=1_000_100.0)
    assert "sbc.example.com" in text and "up 100s" in text
    assert "20 days left" in text and "RENEW SOON" in text
    assert "FAILED, running config kept" in text and "not a DNS name" in text
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("CONNECTION"))
    for column in ("TARGET", "REGISTRATION", "OPTIONS OUT", "RTT", "SINCE", "OPTIONS IN"):
        assert column in header
    telekom = next(line for line in lines if line.startswith("Telekom"))
    assert "registered (200), 5m left" in telekom and "up 200 OK" in telekom
    assert "12.3 ms" in telekom and "never" in telekom
    teams = next(line for line in lines if line.startswith("Teams1"))
    assert "down (timeout: no response)" in teams and "10s ago, 3x" in teams
    assert "203.0.113.9 (7)" in text
    assert "Malformed from allowed sources: 2" in text
    assert "Trace: on, /data/trace/sip.pcap (42 messages)" in text


def test_read_status_of_a_live_document(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    path.write_text(json.dumps({"pid": os.getpid(), "updated": time.time()}))
    found = read_status(path)
    assert found.running and found.doc is not None and found.problem is None


def test_lab_pki_makes_what_lab_yaml_needs(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(REPO / "examples" / "lab.yaml", tmp_path / "lab.yaml")
    assert main(["lab-pki", str(tmp_path / "lab")]) == 0
    out = capsys.readouterr().out
    assert "sbc.lab.test" in out and "sip.pstnhub.microsoft.com" in out
    config = load_config(tmp_path / "lab.yaml", require_files=True)
    assert config.sbc.tls.cert.exists()
    assert (tmp_path / "lab" / "peers" / "sip2.pstnhub.microsoft.com.key").exists()


def test_json_for_machines_has_iso_times_and_the_console_names() -> None:
    doc = public_json(SAMPLE)
    assert doc["generated_at"] == "1970-01-12T13:48:20.000Z"
    assert doc["sbc"]["running"] is True and doc["sbc"]["uptime_s"] == 100
    telekom, teams = doc["connections"]
    assert telekom["options_out"]["status"] == "up"  # the name the web console reads
    assert telekom["options_out"]["since"].endswith("Z")
    assert telekom["registration"]["expires_at"] == "1970-01-12T13:53:20.000Z"
    assert telekom["options_in"] == {"last_seen": None}
    assert teams["options_in"]["last_seen"].startswith("1970-01-12T")
    assert doc["certificate"]["not_after"] == "2027-01-01 00:00 UTC"  # already text
    assert SAMPLE["updated"] == 1_000_100.0  # the input is left alone
