"""`sbc doctor` and `sbc teams-setup` from the command line.

A fresh box: a config without certificate and no running SBC. The certificate is the
next step, before "start the SBC" (the SBC runs without one; its TLS side waits).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sbc.cli import main
from sbc.doctor import cli as doctor_cli
from sbc.doctor.facts import ClockFacts, DnsFacts, FirewallFacts, MediaFacts
from sbc.doctor.gather import Gatherers

from .helpers import CONFIG, FQDN, PUBLIC_IP, ruleset

REPO = Path(__file__).resolve().parents[2]
CSR = ("Make a request with `sbc cert csr --fqdn sbc.contoso.de`, have it signed, then "
       "`sbc cert import`.")


def write_config(tmp_path: Path, text: str = CONFIG) -> Path:
    path = tmp_path / "sbc.yaml"
    path.write_text(text.replace("/data/", f"{tmp_path}/"))
    return path


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No DNS, no host firewall, rtpengine or clock: fixed answers for those."""
    gatherers = Gatherers(
        dns=lambda name: DnsFacts(name, addresses=(PUBLIC_IP,)),
        firewall=lambda: FirewallFacts(ruleset=ruleset()),
        media=lambda host, port: MediaFacts(f"{host}:{port}", True, conf_interface=PUBLIC_IP),
        clock=lambda: ClockFacts(True, "test"),
    )
    monkeypatch.setattr(doctor_cli, "default_gatherers", lambda: gatherers)


def test_doctor_json_on_a_fresh_box_names_the_certificate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], offline: None
) -> None:
    config = write_config(tmp_path)
    code = main(["doctor", "--json", "--config", str(config), "--run-dir", str(tmp_path)])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert set(report) == {"findings", "next", "summary"}
    assert report["next"] == {
        "id": "cert.missing", "level": "fail", "title": "Certificate",
        "message": f"There is no certificate at {tmp_path}/sbc.crt.",
        "action": CSR, "page": "certificates",
    }
    ids = [f["id"] for f in report["findings"]]
    assert ids.index("cert.missing") < ids.index("service")
    assert report["summary"] == {
        level: sum(f["level"] == level for f in report["findings"])
        for level in ("ok", "warn", "fail")}
    assert {f["id"]: f["level"] for f in report["findings"]}["service"] == "fail"


def test_doctor_text(tmp_path: Path, capsys: pytest.CaptureFixture[str], offline: None) -> None:
    config = write_config(tmp_path)
    assert main(["doctor", "--config", str(config), "--run-dir", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"[ ok ] Configuration: {config} loads with 4 connection(s)."
    at = lines.index(f"[FAIL] Certificate: There is no certificate at {tmp_path}/sbc.crt.")
    assert lines[at + 1] == "       " + CSR
    assert lines[-1] == f"Next step: Certificate: {CSR}"


def test_doctor_with_a_config_that_does_not_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], offline: None
) -> None:
    config = write_config(tmp_path, CONFIG.replace(f"public_ip: {PUBLIC_IP}", "public_ip: x"))
    assert main(["doctor", "--json", "--config", str(config), "--run-dir", str(tmp_path)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["next"]["id"] == "config.load"
    assert report["next"]["action"] == (f"Fix what `sbc check --config {config}` lists, then "
                                        "`systemctl reload opensbc`.")


def test_doctor_as_a_program_on_the_template(tmp_path: Path) -> None:
    """The real gatherers: the template's example FQDN is not looked up, so this stays
    on the machine (nft, rtpengine on loopback and the clock are only read)."""
    text = (REPO / "examples" / "appliance.yaml").read_text().replace("/data/", f"{tmp_path}/")
    (tmp_path / "sbc.yaml").write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "sbc.cli", "doctor", "--json", "--config",
         str(tmp_path / "sbc.yaml"), "--run-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False, cwd=REPO)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["next"]["id"] == "cert.missing"
    assert report["next"]["action"] == ("Make a request with `sbc cert csr --fqdn "
                                        "sbc.example.com`, have it signed, then "
                                        "`sbc cert import`.")
    levels = {f["id"]: f["level"] for f in report["findings"]}
    assert levels["config.placeholders"] == "warn" and levels["fqdn.dns"] == "warn"


TEAMS = f"""\
# OpenSBC: Teams Direct Routing for {FQDN}.
# In PowerShell with the MicrosoftTeams module, after Connect-MicrosoftTeams.
# Replace every <placeholder> first.

# The SBC as a PSTN gateway: its FQDN, its TLS port and calls.max_calls.
# Media bypass is off (media_bypass of the Teams connections): media passes
# Microsoft's media processors.
New-CsOnlinePSTNGateway -Fqdn {FQDN} -SipSignalingPort 5067 -MaxConcurrentSessions 40 \
-ForwardCallHistory $true -ForwardPai $true -MediaBypass $false -Enabled $true

# A PSTN usage links the voice route to the voice routing policy.
Set-CsOnlinePstnUsage -Identity Global -Usage @{{Add="OpenSBC"}}

# Every number (".*") goes out through this SBC.
New-CsOnlineVoiceRoute -Identity "OpenSBC" -NumberPattern ".*" -OnlinePstnGatewayList {FQDN} \
-Priority 1 -OnlinePstnUsages "OpenSBC"

# The policy users get; it allows the usage above.
New-CsOnlineVoiceRoutingPolicy "OpenSBC" -OnlinePstnUsages "OpenSBC"

# Per user: a Direct Routing number (newer module versions call the parameters
# -TelephoneNumber and -NumberType), then the policy.
Set-CsPhoneNumberAssignment -Identity <user@domain> -PhoneNumber <+49...> \
-PhoneNumberType DirectRouting
Grant-CsOnlineVoiceRoutingPolicy -Identity <user@domain> -PolicyName "OpenSBC"
"""


def test_teams_setup_prints_the_powershell_for_this_box(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = CONFIG.replace("port: 5061", "port: 5067") + "calls:\n  max_calls: 40\n"
    assert main(["teams-setup", "--config", str(write_config(tmp_path, text))]) == 0
    out = capsys.readouterr()
    assert out.out == TEAMS
    assert out.err == ""


def test_teams_setup_with_media_bypass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = CONFIG.replace("profile: teams-generic", "profile: teams-generic\n    "
                          "media_bypass: true") + "media: {port_min: 40000, port_max: 40999}\n"
    assert main(["teams-setup", "--config", str(write_config(tmp_path, text))]) == 0
    out = capsys.readouterr()
    assert f"""\
# The SBC as a PSTN gateway: its FQDN, its TLS port and calls.max_calls.
# Media bypass is on (media_bypass of the Teams connections): Teams clients send media
# straight to {PUBLIC_IP}, which must be reachable on UDP 40000-40999 from the internet;
# web clients and voice apps still use Microsoft's media processors.
# For a gateway that exists already, or to change it later (then also media_bypass):
# Set-CsOnlinePSTNGateway -Identity {FQDN} -MediaBypass $true
New-CsOnlinePSTNGateway -Fqdn {FQDN} -SipSignalingPort 5061 -MaxConcurrentSessions 500 \
-ForwardCallHistory $true -ForwardPai $true -MediaBypass $true -Enabled $true
""" in out.out
    assert out.err == ""


def test_teams_setup_warns_when_bypass_has_a_private_public_ip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = CONFIG.replace("profile: teams-generic", "profile: teams-generic\n    "
                          "media_bypass: true").replace(PUBLIC_IP, "10.1.2.3")
    assert main(["teams-setup", "--config", str(write_config(tmp_path, text))]) == 0
    out = capsys.readouterr()
    assert "-MediaBypass $true -Enabled $true" in out.out
    assert out.err == ("sbc teams-setup: warning: media bypass is on, but sbc.public_ip "
                       "10.1.2.3 is a private address (RFC 1918): Teams clients could not "
                       "reach it; set the public address with `sbc config set "
                       "sbc.public_ip=ADDRESS` first (`sbc doctor` checks it)\n")


def test_teams_setup_warns_about_the_template_fqdn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, CONFIG.replace(FQDN, "sbc.example.com"))
    assert main(["teams-setup", "--config", str(config)]) == 0
    out = capsys.readouterr()
    assert "New-CsOnlinePSTNGateway -Fqdn sbc.example.com -SipSignalingPort 5061 " \
           "-MaxConcurrentSessions 500 " in out.out
    assert out.err == ("sbc teams-setup: warning: sbc.fqdn is not configured yet "
                       "(sbc.example.com): set it with `sbc config set sbc.fqdn=NAME` first\n")


def test_teams_setup_with_a_broken_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["teams-setup", "--config", str(tmp_path / "none.yaml")]) == 1
    assert "does not load" in capsys.readouterr().err


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_doctor_against_a_running_sbc_without_certificate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], offline: None
) -> None:
    """The status document of a real `sbc run` that waits for its certificate."""
    udp, tls, ng = (_free_port(socket.SOCK_DGRAM), _free_port(socket.SOCK_STREAM),
                    _free_port(socket.SOCK_DGRAM))
    config = write_config(tmp_path, f"""
sbc:
  fqdn: {FQDN}
  public_ip: {PUBLIC_IP}
  listen:
    - {{transport: udp, address: 127.0.0.1, port: {udp}}}
    - {{transport: tls, address: 127.0.0.1, port: {tls}}}
  tls: {{cert: /data/sbc.crt, key: /data/sbc.key, ca_bundle: /data/ca.pem}}
connections:
  - {{name: Teams, profile: teams-generic}}
media:
  rtpengine: 127.0.0.1:{ng}
""")
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sbc.cli", "run", "--config", str(config), "--run-dir",
         str(run_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    try:
        deadline = time.monotonic() + 20
        while not (run_dir / "status.json").exists():
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "no status.json from sbc run"
            time.sleep(0.1)
        main(["doctor", "--json", "--config", str(config), "--run-dir", str(run_dir)])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    report = json.loads(capsys.readouterr().out)
    found = {f["id"]: f for f in report["findings"]}
    assert report["next"]["id"] == "cert.missing"
    assert found["service"]["level"] == "ok"
    assert found["tls.listener"]["level"] == "fail"
    assert found["teams.options_out.Teams1"]["message"].startswith(
        "Teams1, Teams2, Teams3 are not started: waiting for a certificate")
    assert found["teams.options_out.Teams1"]["action"] == CSR
    assert found["teams.options_in"]["level"] == "warn"
