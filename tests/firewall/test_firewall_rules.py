"""sbc.firewall: the plan from the config, the exact ruleset, and nft's own check."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from fwtest_configs import EXAMPLE, REPO, with_listen, write
from sbc.config import load_config, loads
from sbc.firewall import (
    DEFAULT_RTP,
    PortRange,
    Rule,
    plan_for,
    render_ruleset,
    rtp_ports,
)

DATA = Path(__file__).resolve().parent / "data"


def test_plan_for_the_shipped_config() -> None:
    plan = plan_for(load_config(EXAMPLE))
    assert [(r.proto, str(r.ports)) for r in plan.management] == [("tcp", "22"), ("tcp", "9090")]
    assert [(r.proto, str(r.ports), r.comment) for r in plan.sip] == [
        ("udp", "5060", "SIP UDP"), ("tcp", "5060", "SIP TCP"), ("tcp", "5061", "SIP TLS")]
    assert plan.media == (Rule("udp", PortRange(30000, 39999), "RTP media"),)


def test_exact_ruleset() -> None:
    ruleset = render_ruleset(plan_for(load_config(EXAMPLE), "/data/sbc.yaml"))
    expected = (DATA / "appliance.nft").read_text().replace(
        "from examples/appliance.yaml", "from /data/sbc.yaml")
    assert ruleset == expected


def test_listeners_on_addresses_and_shared_ports() -> None:
    text = with_listen("""  listen:
    - {transport: udp, address: 192.0.2.10, port: 5070}
    - {transport: tls, address: 192.0.2.10, port: 5067}
    - {transport: tls, address: "2001:db8::10", port: 5067}
    - {transport: tcp, port: 5080}
""")
    plan = plan_for(loads(text, "sbc.yaml"))
    assert [(r.family, str(r.address), r.proto, str(r.ports)) for r in plan.sip] == [
        ("ip", "192.0.2.10", "udp", "5070"), ("ip", "192.0.2.10", "tcp", "5067"),
        ("ip6", "2001:db8::10", "tcp", "5067"), (None, "None", "tcp", "5080")]
    ruleset = render_ruleset(plan)
    assert '\t\tip daddr 192.0.2.10 tcp dport 5067 accept comment "SIP TLS"\n' in ruleset
    assert '\t\tip6 daddr 2001:db8::10 tcp dport 5067 accept comment "SIP TLS"\n' in ruleset
    assert '\t\ttcp dport 5080 accept comment "SIP TCP"\n' in ruleset
    assert "dport 5060" not in ruleset


def test_management_only_without_config() -> None:
    plan = plan_for(None)
    assert plan.sip == () and plan.media == ()
    ruleset = render_ruleset(plan)
    assert "SIP" not in ruleset and "RTP" not in ruleset
    assert 'tcp dport 9090 accept comment "web console (Cockpit)"' in ruleset


def test_rtp_range_from_config_when_present() -> None:
    config = load_config(EXAMPLE)
    assert rtp_ports(config) == DEFAULT_RTP == PortRange(30000, 39999)
    narrow = replace(config, media=replace(config.media, port_min=20000, port_max=29999))
    assert rtp_ports(narrow) == PortRange(20000, 29999)
    with pytest.raises(ValueError):
        PortRange(50000, 40000)


def nft_check(path: Path) -> subprocess.CompletedProcess[str]:
    """`nft -c -f` in a throwaway network namespace: parse and validate, load nothing."""
    return subprocess.run(["unshare", "--net", "nft", "-c", "-f", str(path)],
                          capture_output=True, text=True, timeout=30, check=False)


needs_nft = pytest.mark.skipif(
    shutil.which("nft") is None or shutil.which("unshare") is None,
    reason="needs nftables and util-linux")


@needs_nft
@pytest.mark.parametrize("listen", [
    None,
    """  listen:
    - {transport: udp, address: 192.0.2.10, port: 5070}
    - {transport: tls, address: "2001:db8::10", port: 5067}
""",
])
def test_nft_accepts_the_ruleset(tmp_path: Path, listen: str | None) -> None:
    if listen is None:
        config = None
    else:
        config = loads(with_listen(listen), "sbc.yaml")
    ruleset = write(tmp_path, render_ruleset(plan_for(config)), "opensbc.nft")
    result = nft_check(ruleset)
    assert result.returncode == 0, result.stderr
    shipped = nft_check(DATA / "appliance.nft")
    assert shipped.returncode == 0, shipped.stderr


@needs_nft
def test_nft_check_is_real(tmp_path: Path) -> None:
    """The check above would catch a broken template."""
    broken = render_ruleset(plan_for(None)).replace("policy drop", "policy dorp")
    assert nft_check(write(tmp_path, broken, "broken.nft")).returncode != 0


def test_show_command() -> None:
    out = subprocess.run([sys.executable, "-m", "sbc.firewall", "show", "--config", str(EXAMPLE)],
                         capture_output=True, text=True, cwd=REPO, check=True, timeout=60)
    assert out.stdout == (DATA / "appliance.nft").read_text().replace(
        "from examples/appliance.yaml", f"from {EXAMPLE}")
