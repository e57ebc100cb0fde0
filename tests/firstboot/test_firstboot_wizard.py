"""The wizard end to end under pexpect in a pty, inside a network namespace whose veth
stands in for the NIC (see fbtest_env). NetworkManager is the fake nmcli."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pexpect
from fbtest_env import (
    DEAD_GATEWAY,
    GATEWAY,
    LEASE,
    NEW_PASSWORD,
    PREVIOUS_UUID,
    Appliance,
)
from sbc.config import load_config

from firstboot.keyfile import connection_uuid
from firstboot.password import shadow_hash, verifies

DATA = Path(__file__).resolve().parent / "data"
NEW_UUID = connection_uuid("eth0")
DHCP_Q = "Use DHCP on eth0? (n: fixed address) [Y/n]: "
ADDRESS_Q = "IPv4 address/prefix (e.g. 192.0.2.10/24) [10.99.0.15/24]: "
PREFIX_Q = "Prefix length or netmask (e.g. 24 or 255.255.255.0): "
GATEWAY_Q = f"Gateway [{GATEWAY}]: "
DNS_Q = f"DNS servers, up to 3 separated by spaces [{GATEWAY}]: "
NAME_Q = "Fully qualified host name (e.g. sbc1.example.com): "
APPLY_Q = "Apply these settings? [Y/n]: "
BACK_Q = "Go back to the previous network settings? [Y/n]: "


def answer(child: pexpect.spawn, prompt: str, text: str) -> None:
    child.expect_exact(prompt)
    child.sendline(text)


def refused(child: pexpect.spawn, prompt: str, text: str, reason: str) -> None:
    """Send a bad answer, see the reason, and the same question again."""
    answer(child, prompt, text)
    child.expect_exact("Not accepted: ")
    child.expect(re.escape(reason).replace(r"\ ", r"\s+"))  # long reasons wrap at 78


def change_password(child: pexpect.spawn) -> None:
    answer(child, "New root password: ", NEW_PASSWORD)
    answer(child, "Repeat the new password: ", NEW_PASSWORD)
    child.expect_exact("Password changed.")


def finished(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return int(child.exitstatus if child.exitstatus is not None else -1)


def static_answers(child: pexpect.spawn, gateway: str = GATEWAY) -> None:
    answer(child, DHCP_Q, "n")
    answer(child, ADDRESS_Q, "10.99.0.50/24")
    answer(child, GATEWAY_Q, gateway)
    answer(child, DNS_Q, f"{GATEWAY} 9.9.9.9")
    answer(child, NAME_Q, "sbc1.example.test")
    answer(child, APPLY_Q, "")


def assert_previous_network(app: Appliance) -> None:
    assert app.addresses() == [LEASE]
    assert app.default_route() == GATEWAY
    assert not app.keyfile.exists()


def assert_done(app: Appliance, address: str) -> None:
    etc = app.root / "etc"
    assert not (etc / "opensbc/firstboot-pending").exists()
    assert (etc / "opensbc/firstboot-done").read_text().endswith(" sbc1.example.test\n")
    root_hash = shadow_hash((etc / "shadow").read_text(), "root")
    assert root_hash and verifies(NEW_PASSWORD, root_hash)
    assert stat.S_IMODE((etc / "shadow").stat().st_mode) == 0o640
    assert (etc / "cockpit/disallowed-users").read_text() == (
        "# List of users which are not allowed to login to Cockpit\n")
    assert app.recorded("hostnamectl") == ["set-hostname sbc1"]
    assert app.recorded("systemctl") == ["try-restart cockpit.service",
                                         "start opensbc-media.service opensbc.service"]
    assert (etc / "cockpit/ws-certs.d/50-opensbc.cert").exists()
    assert stat.S_IMODE((etc / "cockpit/ws-certs.d/50-opensbc.key").stat().st_mode) == 0o600
    # The SBC's first configuration, from the answers: it loads, Teams waits for a
    # certificate, and the CA bundle its TLS peers are checked against is there.
    config = load_config(app.root / "data/sbc.yaml")
    assert (config.sbc.fqdn, str(config.sbc.public_ip)) == ("sbc1.example.test", address)
    assert [c.name for c in config.connections] == ["Teams1", "Teams2", "Teams3"]
    assert stat.S_IMODE((app.root / "data/sbc.yaml").stat().st_mode) == 0o600
    assert (app.root / "data/ca.pem").exists()


def test_keep_dhcp(appliance: Appliance) -> None:
    child = appliance.spawn("--auto")
    change_password(child)
    child.expect_exact("root may now log in to the web console.")
    child.expect(r"1\) eth0 +[0-9a-f:]{17}  link up +10\.99\.0\.15/24  \(DHCP\)")
    child.expect_exact("Using eth0.")
    answer(child, DHCP_Q, "")
    answer(child, NAME_Q, "SBC1.Example.Test.")
    child.expect_exact("host name: sbc1.example.test")
    answer(child, APPLY_Q, "y")
    child.expect_exact("eth0 keeps its DHCP connection; nothing to change.")
    child.expect_exact("root password: changed")
    child.expect_exact("SBC: running; ")
    child.expect_exact("/data/sbc.yaml written from these answers. Teams waits for a "
                       "certificate.")
    child.expect_exact("Web console: https://10.99.0.15:9090")
    child.expect_exact("`sbc doctor` lists what to do next.")
    assert finished(child) == 0
    assert_previous_network(appliance)
    assert appliance.nm_actions() == []
    assert_done(appliance, "10.99.0.15")
    hosts = (appliance.root / "etc/hosts").read_text()
    assert hosts == ("127.0.0.1\tlocalhost\n127.0.1.1\tsbc1.example.test sbc1\n"
                     "::1\tlocalhost ip6-localhost ip6-loopback\n")


def test_static_address(appliance: Appliance) -> None:
    child = appliance.spawn("--auto")
    change_password(child)
    static_answers(child)
    child.expect_exact(f"Checking that the gateway {GATEWAY} answers ...")
    child.expect_exact("The gateway answers.")
    child.expect_exact("Web console: https://10.99.0.50:9090")
    assert finished(child) == 0
    assert appliance.keyfile.read_bytes() == (DATA / "eth0.nmconnection").read_bytes()
    assert stat.S_IMODE(appliance.keyfile.stat().st_mode) == 0o600
    assert appliance.addresses() == ["10.99.0.50/24"]
    assert appliance.default_route() == GATEWAY
    assert appliance.nm_actions() == [
        ["connection", "load", str(appliance.keyfile)],
        ["connection", "up", "uuid", NEW_UUID],
    ]
    assert_done(appliance, "10.99.0.50")
    assert "10.99.0.50\tsbc1.example.test sbc1\n" in (appliance.root / "etc/hosts").read_text()


def test_invalid_answers_are_refused_with_reasons(appliance: Appliance) -> None:
    child = appliance.spawn()
    change_password(child)
    refused(child, DHCP_Q, "maybe", "answer y or n")
    answer(child, DHCP_Q, "no")
    # address and prefix
    refused(child, ADDRESS_Q, "10.99.0.300/24", "'10.99.0.300' is not an IPv4 address")
    refused(child, ADDRESS_Q, "10.99.0.0/24", "10.99.0.0 is the network address of")
    refused(child, ADDRESS_Q, "10.99.0.255/24", "10.99.0.255 is the broadcast address of")
    refused(child, ADDRESS_Q, "10.99.0.50/33", "prefix /33 is out of range")
    refused(child, ADDRESS_Q, "10.99.0.50 255.0.255.0", "'255.0.255.0' is neither a prefix")
    refused(child, ADDRESS_Q, "127.0.0.5/8", "127.0.0.5 is a loopback address")
    answer(child, ADDRESS_Q, "10.99.0.50")
    refused(child, PREFIX_Q, "abc", "'abc' is neither a prefix length")
    answer(child, PREFIX_Q, "255.255.255.0")
    # gateway
    refused(child, GATEWAY_Q, "10.98.0.1", "gateway 10.98.0.1 is not in this subnet")
    refused(child, GATEWAY_Q, "10.99.0.0", "gateway 10.99.0.0 is the network address")
    refused(child, GATEWAY_Q, "10.99.0.255", "gateway 10.99.0.255 is the broadcast address")
    refused(child, GATEWAY_Q, "10.99.0.50", "is the appliance's own address")
    refused(child, GATEWAY_Q, "gw.example", "'gw.example' is not an IPv4 gateway")
    answer(child, GATEWAY_Q, "")
    # DNS
    refused(child, DNS_Q, "dns.example", "'dns.example' is not an IPv4 DNS server address")
    refused(child, DNS_Q, "1.1.1.1 8.8.8.8 9.9.9.9 8.8.4.4", "at most 3 DNS servers")
    refused(child, DNS_Q, "9.9.9.9, 9.9.9.9", "9.9.9.9 is given twice")
    answer(child, DNS_Q, "")
    # host name
    refused(child, NAME_Q, "sbc1", "must be a fully qualified name")
    refused(child, NAME_Q, "bad_name.example.test", "bad label 'bad_name'")
    refused(child, NAME_Q, "10.99.0.50", "must be a DNS name, not an IP address")
    refused(child, NAME_Q, "sbc1.example.123", "the last label is all digits")
    answer(child, NAME_Q, "sbc1.example.test")
    child.expect_exact("eth0: 10.99.0.50/24, gateway 10.99.0.1")
    child.expect_exact("DNS: 10.99.0.1")
    answer(child, APPLY_Q, "n")
    # Not applied: the questions start again; stop here.
    child.expect_exact(DHCP_Q)
    child.sendintr()
    assert finished(child) == 130
    assert_previous_network(appliance)
    assert appliance.nm_actions() == []


def test_password_rules(appliance: Appliance) -> None:
    child = appliance.spawn()
    child.expect_exact("root still has the default password.")
    refused(child, "New root password: ", "omc", "that is the default password")
    refused(child, "New root password: ", "Ab1-x", "too short: use at least 8 characters")
    refused(child, "New root password: ", "abcdefghij", "use at least two kinds of characters")
    refused(child, "New root password: ", "12345678", "use at least two kinds of characters")
    refused(child, "New root password: ", " padded-pass1", "starts or ends with a space")
    answer(child, "New root password: ", NEW_PASSWORD)
    answer(child, "Repeat the new password: ", NEW_PASSWORD + "x")
    child.expect_exact("Not accepted: the two entries differ; start again.")
    answer(child, "New root password: ", NEW_PASSWORD)
    child.expect_exact("Repeat the new password: ")
    assert NEW_PASSWORD not in (child.before or "")  # typed without echo
    child.sendline(NEW_PASSWORD)
    child.expect_exact("Password changed.")
    child.expect_exact(DHCP_Q)
    child.sendintr()
    assert finished(child) == 130
    root_hash = shadow_hash((appliance.root / "etc/shadow").read_text(), "root")
    assert root_hash and root_hash.startswith("$6$") and verifies(NEW_PASSWORD, root_hash)
    assert "daemon:*:19700:" in (appliance.root / "etc/shadow").read_text()
    # The first boot is not done: the wizard starts again at the next console login,
    # and now offers (rather than requires) a password change.
    assert (appliance.root / "etc/opensbc/firstboot-pending").exists()
    child = appliance.spawn("--auto")
    answer(child, "root's password was changed already. Change it again? [y/N]: ", "")
    child.expect_exact(DHCP_Q)
    child.sendintr()
    assert finished(child) == 130


def test_ctrl_c_before_apply_leaves_network_alone(appliance: Appliance) -> None:
    child = appliance.spawn()
    change_password(child)
    answer(child, DHCP_Q, "n")
    answer(child, ADDRESS_Q, "10.99.0.50/24")
    child.expect_exact(GATEWAY_Q)
    child.sendintr()
    child.expect_exact("Cancelled. The network settings are as they were")
    assert finished(child) == 130
    assert_previous_network(appliance)
    assert appliance.nm_actions() == []
    assert (appliance.root / "etc/opensbc/firstboot-pending").exists()
    assert not (appliance.root / "etc/opensbc/firstboot-done").exists()


def test_gateway_silent_rolls_back_by_itself(appliance: Appliance) -> None:
    child = appliance.spawn(rollback_timeout=2)
    change_password(child)
    static_answers(child, gateway=DEAD_GATEWAY)
    child.expect_exact(f"The gateway {DEAD_GATEWAY} does not answer.")
    child.expect_exact("Without an answer the previous settings come back in 2 s.")
    child.expect_exact(BACK_Q)
    assert appliance.addresses() == ["10.99.0.50/24"]  # applied while the question waits
    # No answer: after 2 s the wizard goes back and asks the questions again.
    child.expect_exact("Going back to the previous network settings ...", timeout=10)
    child.expect_exact("Previous network settings restored.")
    child.expect_exact(DHCP_Q)
    assert_previous_network(appliance)
    assert appliance.nm_actions() == [
        ["connection", "load", str(appliance.keyfile)],
        ["connection", "up", "uuid", NEW_UUID],
        ["connection", "delete", "uuid", NEW_UUID],
        ["connection", "up", "uuid", PREVIOUS_UUID],
    ]
    # Keep DHCP this time and finish.
    child.sendline("y")
    answer(child, NAME_Q, "sbc1.example.test")
    answer(child, APPLY_Q, "")
    child.expect_exact("Web console: https://10.99.0.15:9090")
    assert finished(child) == 0
    assert_previous_network(appliance)


def test_gateway_silent_kept_on_request(appliance: Appliance) -> None:
    child = appliance.spawn(rollback_timeout=30)
    change_password(child)
    static_answers(child, gateway=DEAD_GATEWAY)
    answer(child, BACK_Q, "n")
    child.expect_exact("Keeping the new settings.")
    child.expect_exact("Web console: https://10.99.0.50:9090")
    assert finished(child) == 0
    assert appliance.addresses() == ["10.99.0.50/24"]
    assert appliance.default_route() == DEAD_GATEWAY


def test_ctrl_c_after_apply_restores_previous_settings(appliance: Appliance) -> None:
    child = appliance.spawn(rollback_timeout=30)
    change_password(child)
    static_answers(child, gateway=DEAD_GATEWAY)
    child.expect_exact(BACK_Q)
    child.sendintr()
    child.expect_exact("Previous network settings restored.")
    child.expect_exact("Cancelled.")
    assert finished(child) == 130
    assert_previous_network(appliance)


def test_rerun_replaces_own_keyfile_and_restores_it(appliance: Appliance) -> None:
    """A second run with a bad gateway puts the first run's keyfile back."""
    child = appliance.spawn()
    change_password(child)
    static_answers(child)
    assert finished(child) == 0
    first = appliance.keyfile.read_bytes()
    child = appliance.spawn(rollback_timeout=1)
    answer(child, "Change it again? [y/N]: ", "n")
    answer(child, "Use DHCP on eth0? (n: fixed address) [y/N]: ", "")
    answer(child, "IPv4 address/prefix (e.g. 192.0.2.10/24) [10.99.0.50/24]: ", "10.99.0.60/24")
    answer(child, GATEWAY_Q, DEAD_GATEWAY)
    answer(child, "DNS servers, up to 3 separated by spaces [10.99.0.1]: ", "")
    answer(child, "Fully qualified host name (e.g. sbc1.example.com) [sbc1.example.test]: ", "")
    answer(child, APPLY_Q, "")
    child.expect_exact("Previous network settings restored.", timeout=15)
    child.expect_exact("Use DHCP on eth0?")
    child.sendintr()
    assert finished(child) == 130
    assert appliance.keyfile.read_bytes() == first
    assert appliance.addresses() == ["10.99.0.50/24"]


def test_auto_does_nothing_once_done(appliance: Appliance) -> None:
    (appliance.root / "etc/opensbc/firstboot-pending").unlink()
    child = appliance.spawn("--auto")
    assert finished(child) == 0
    assert (child.before or "") == ""


def test_back_from_static_to_dhcp(appliance: Appliance) -> None:
    child = appliance.spawn()
    change_password(child)
    static_answers(child)
    assert finished(child) == 0
    child = appliance.spawn()
    answer(child, "Change it again? [y/N]: ", "")
    child.expect(r"eth0 +[0-9a-f:]{17}  link up +10\.99\.0\.50/24  \(static\)")
    answer(child, "Use DHCP on eth0? (n: fixed address) [y/N]: ", "y")
    answer(child, "Fully qualified host name (e.g. sbc1.example.com) [sbc1.example.test]: ", "")
    answer(child, APPLY_Q, "")
    child.expect_exact("Web console: https://10.99.0.15:9090")
    assert finished(child) == 0
    keyfile = appliance.keyfile.read_text()
    assert "\n[ipv4]\nmethod=auto\ndns-search=example.test;\nmay-fail=false\n" in keyfile
    assert "address1" not in keyfile
    assert appliance.addresses() == [LEASE]
