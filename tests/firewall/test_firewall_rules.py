"""sbc.firewall: the plan from the config, the exact ruleset, and nft's own check."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from fwtest_configs import EXAMPLE, REPO, with_allowlists, with_listen, write
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


def test_sip_sources_are_the_connections_allowlists() -> None:
    config = loads(with_allowlists('[217.0.0.0/13, "2003::/19", 217.0.1.0/24]'), "sbc.yaml")
    plan = plan_for(config)
    assert not plan.peers.any and plan.admins.any
    assert [str(n) for n in plan.peers.networks or ()] == [
        "52.112.0.0/14", "52.120.0.0/14", "217.0.0.0/13", "2003::/19"]  # merged, v4 first
    ruleset = render_ruleset(plan)
    assert "\t\telements = { 52.112.0.0/14, 52.120.0.0/14, 217.0.0.0/13 }\n" in ruleset
    assert '\t\tip saddr @sip_peers4 tcp dport 5061 accept comment "SIP TLS"\n' in ruleset
    assert '\t\tip6 saddr @sip_peers6 udp dport 5060 accept comment "SIP UDP"\n' in ruleset
    assert '\t\ttcp dport 22 accept comment "SSH"\n' in ruleset


def test_a_connection_known_by_dns_only_keeps_sip_open() -> None:
    plan = plan_for(load_config(EXAMPLE))  # Telekom: no allowlist, a DNS name
    assert plan.peers.any and "Telekom" in plan.peers.why_any
    ruleset = render_ruleset(plan)
    assert "@sip_peers" not in ruleset and "# from any address: Telekom" in ruleset
    static = with_allowlists("[]").replace("connections:\n",
                                           "hosts:\n  reg.sip-trunk.telekom.de: 192.0.2.8\n"
                                           "connections:\n")
    plan = plan_for(loads(static, "sbc.yaml"))  # the host map pins its address
    assert not plan.peers.any and "192.0.2.8/32" in [str(n) for n in plan.peers.networks or ()]


def test_admin_allowlist_limits_ssh_and_the_web_console() -> None:
    config = loads(with_allowlists("[192.0.2.0/24]", '[10.1.0.0/16, "fd00::/8"]'), "sbc.yaml")
    plan = plan_for(config)
    ruleset = render_ruleset(plan)
    assert '\t\tip saddr @admin4 tcp dport 22 accept comment "SSH"\n' in ruleset
    assert '\t\tip6 saddr @admin6 tcp dport 9090 accept comment "web console (Cockpit)"\n' \
        in ruleset
    assert "\t\telements = { fd00::/8 }\n" in ruleset
    assert "\ttcp dport 22 accept" not in ruleset


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
    "allowlists",
])
def test_nft_accepts_the_ruleset(tmp_path: Path, listen: str | None) -> None:
    if listen is None:
        config = None
    elif listen == "allowlists":
        config = loads(with_allowlists("[192.0.2.0/24]", "[10.0.0.0/8]"), "sbc.yaml")
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
