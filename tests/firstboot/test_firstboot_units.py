"""Pure parts of the wizard: answers, password rules and files, keyfile, hosts, nmcli."""

from __future__ import annotations

import datetime
import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509

from firstboot import password as pw
from firstboot.files import replace_file
from firstboot.identity import current_fqdn, hosts_with_name
from firstboot.keyfile import connection_uuid, keyfile_for, render
from firstboot.model import Identity, NetworkPlan, StaticIPv4
from firstboot.nm import parse_active, parse_method, split_terse
from firstboot.validate import (
    Invalid,
    parse_dns,
    parse_fqdn,
    parse_gateway,
    parse_interface,
    parse_prefix,
    split_address,
)
from firstboot.webcert import make_certificate

IF = ipaddress.IPv4Interface("192.0.2.10/24")


@pytest.mark.parametrize(
    ("text", "prefix"),
    [("24", 24), ("/24", 24), ("255.255.255.0", 24), ("255.255.252.0", 22), ("30", 30)],
)
def test_prefix(text: str, prefix: int) -> None:
    assert parse_prefix(text) == prefix


@pytest.mark.parametrize(
    ("text", "reason"),
    [("31", "prefix /31 is out of range"), ("0", "prefix /0 is out of range"),
     ("255.0.255.0", "neither a prefix length"), ("x", "neither a prefix length")],
)
def test_prefix_refused(text: str, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        parse_prefix(text)


@pytest.mark.parametrize(
    ("text", "parts"),
    [("192.0.2.10/24", ("192.0.2.10", "24")), ("192.0.2.10 255.255.255.0",
                                               ("192.0.2.10", "255.255.255.0")),
     (" 192.0.2.10 ", ("192.0.2.10", None))],
)
def test_split_address(text: str, parts: tuple[str, str | None]) -> None:
    assert split_address(text) == parts


@pytest.mark.parametrize(
    ("address", "prefix", "reason"),
    [("192.0.2.0", "24", "is the network address of 192.0.2.0/24; choose a host address "
                         "such as 192.0.2.1"),
     ("192.0.2.255", "24", "is the broadcast address of 192.0.2.0/24"),
     ("0.0.0.0", "8", "the unspecified address"), ("224.0.0.5", "24", "multicast"),
     ("169.254.1.1", "16", "link-local"), ("250.1.1.1", "8", "reserved"),
     ("192.0.2", "24", "is not an IPv4 address")],
)
def test_interface_refused(address: str, prefix: str, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        parse_interface(address, prefix)


def test_interface_accepts_netmask() -> None:
    assert parse_interface("10.0.2.50", "255.255.255.0") == ipaddress.IPv4Interface(
        "10.0.2.50/24")


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "a gateway is needed"), ("192.0.3.1", "not in this subnet \\(192.0.2.0/24\\); "
                                                "it must be in 192.0.2.1 - 192.0.2.254"),
     ("192.0.2.0", "network address"), ("192.0.2.255", "broadcast address"),
     ("192.0.2.10", "own address"), ("x", "not an IPv4 gateway")],
)
def test_gateway_refused(text: str, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        parse_gateway(text, IF)


def test_gateway_and_dns_accepted() -> None:
    assert parse_gateway(" 192.0.2.1 ", IF) == ipaddress.IPv4Address("192.0.2.1")
    assert parse_dns("192.0.2.1, 9.9.9.9;1.1.1.1") == tuple(
        ipaddress.IPv4Address(a) for a in ("192.0.2.1", "9.9.9.9", "1.1.1.1"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "at least one DNS server"), ("1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4", "at most 3"),
     ("255.255.255.255", "reserved"), ("127.0.0.53", "loopback"), ("::1", "not an IPv4"),
     ("9.9.9.9 9.9.9.9", "given twice")],
)
def test_dns_refused(text: str, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        parse_dns(text)


def test_fqdn() -> None:
    assert parse_fqdn(" SBC1.Example.COM. ") == "sbc1.example.com"
    for bad, reason in (("sbc1", "fully qualified"), ("-a.example.com", "bad label"),
                        ("a..example.com", "bad label"), ("192.0.2.1", "not an IP address"),
                        ("a" * 64 + ".example.com", "bad label"), ("", "fully qualified")):
        with pytest.raises(Invalid, match=reason):
            parse_fqdn(bad)


# --- password ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("candidate", "reason"),
    [("omc", "default password"), ("Ab1-", "too short"), ("x" * 129, "too long"),
     ("abc\x01defgh1", "control characters"), (" Abcdefg1", "starts or ends with a space"),
     ("Passwordx", "two kinds"), ("Password1!", "too easy"), ("Opensbc2025", "too easy"),
     ("root1234", "too easy"), ("Root", "too short")],
)
def test_password_refused(candidate: str, reason: str) -> None:
    problem = pw.password_problem(candidate)
    assert problem is not None and reason in problem


@pytest.mark.parametrize("candidate", ["Sbc-first-1", "correct horse battery 9", "pässwort12"])
def test_password_accepted(candidate: str) -> None:
    assert pw.password_problem(candidate) is None


def test_shadow_edit_keeps_other_lines() -> None:
    shadow = "root:$6$old:19000:0:99999:7:::\nsshd:!:19000::::::\n"
    new = pw.shadow_with_hash(shadow, "root", "$6$new", 20000)
    assert new == "root:$6$new:20000:0:99999:7:::\nsshd:!:19000::::::\n"
    with pytest.raises(KeyError):
        pw.shadow_with_hash(shadow, "admin", "$6$x", 1)


def test_is_default() -> None:
    default = pw.hash_password("omc")
    assert default.startswith("$6$")
    assert pw.is_default(default)
    assert not pw.is_default(pw.hash_password("Sbc-first-1"))
    assert not pw.is_default("$y$j9T$unknown-scheme")  # yescrypt: passlib cannot tell
    assert pw.is_default("$y$j9T$shipped", "$y$j9T$shipped")
    assert not pw.is_default(None)


def test_cockpit_list_without_root() -> None:
    listing = "# List of users which are not allowed to login to Cockpit\nroot\nguest\n"
    assert pw.without_user(listing, "root") == (
        "# List of users which are not allowed to login to Cockpit\nguest\n")


def test_replace_file_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "shadow"
    target.write_text("old")
    target.chmod(0o640)
    replace_file(target, b"new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    replace_file(tmp_path / "key", b"k", 0o600)
    assert stat.S_IMODE((tmp_path / "key").stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# --- keyfile, hosts, nmcli ---------------------------------------------------------------

def test_dhcp_keyfile() -> None:
    text = render(keyfile_for(NetworkPlan("eth1", None, Identity("sbc1.example.com"))))
    assert "uuid=" + connection_uuid("eth1") in text
    assert "\n[ipv4]\nmethod=auto\ndns-search=example.com;\nmay-fail=false\n" in text
    assert "address1" not in text


def test_uuid_is_stable_per_interface() -> None:
    assert connection_uuid("eth0") == connection_uuid("eth0") != connection_uuid("eth1")


def test_static_keyfile_without_domain_search() -> None:
    static = StaticIPv4(IF, ipaddress.IPv4Address("192.0.2.1"),
                        (ipaddress.IPv4Address("192.0.2.53"),))
    plan = NetworkPlan("eth0", static, Identity("sbc.example.com"))
    text = render(keyfile_for(plan))
    assert "address1=192.0.2.10/24\ngateway=192.0.2.1\ndns=192.0.2.53;\n" in text


def test_hosts() -> None:
    hosts = ("127.0.0.1\tlocalhost\n127.0.1.1\topensbc\n10.0.0.9 old.example.com sbc1\n"
             "::1\tlocalhost ip6-localhost\n192.0.2.99 ntp.example.com # mine\n")
    ident = Identity("sbc1.example.com")
    assert hosts_with_name(hosts, ident, ipaddress.IPv4Address("192.0.2.10")) == (
        "127.0.0.1\tlocalhost\n192.0.2.10\tsbc1.example.com sbc1\n"
        "::1\tlocalhost ip6-localhost\n192.0.2.99 ntp.example.com # mine\n")
    assert hosts_with_name("", ident, None) == "127.0.1.1\tsbc1.example.com sbc1\n"
    assert current_fqdn("127.0.1.1\tsbc1.example.com sbc1\n", "sbc1") == "sbc1.example.com"
    assert current_fqdn("127.0.1.1\topensbc\n", "opensbc") is None


def test_nmcli_terse() -> None:
    assert split_terse(r"Wired connection 1:uuid:eth0") == ["Wired connection 1", "uuid", "eth0"]
    assert split_terse(r"a\:b:c\\d") == ["a:b", "c\\d"]
    active = parse_active("Wired connection 1:0b6e:eth0\nlo:1a2b:lo\n")
    assert [(c.name, c.device) for c in active] == [("Wired connection 1", "eth0"), ("lo", "lo")]
    assert parse_method("ipv4.method:auto\n") == "dhcp"
    assert parse_method("ipv4.method:manual\n") == "static"
    assert parse_method("ipv4.method:disabled\n") == "other"
    assert parse_method("") == "unknown"


def test_web_console_certificate() -> None:
    now = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    cert_pem, key_pem = make_certificate(Identity("sbc1.example.com"),
                                         [ipaddress.IPv4Address("192.0.2.10")], now)
    cert = x509.load_pem_x509_certificate(cert_pem)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["sbc1.example.com", "sbc1"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.IPv4Address("192.0.2.10")]
    assert cert.not_valid_after_utc > now + datetime.timedelta(days=3000)
    assert b"PRIVATE KEY" in key_pem


def test_addresses_without_netifaces(monkeypatch: pytest.MonkeyPatch) -> None:
    """A host without python3-netifaces falls back to `ip -j` (the image has it)."""
    from firstboot import interfaces

    monkeypatch.setattr(interfaces, "_netifaces", lambda: None)
    assert ipaddress.IPv4Interface("127.0.0.1/8") in interfaces.ipv4_addresses("lo")
    assert interfaces.ipv4_addresses("no-such-nic0") == ()
    gateway = interfaces.default_gateway()
    assert gateway is None or isinstance(gateway, ipaddress.IPv4Address)


def test_nameservers() -> None:
    from firstboot.interfaces import nameservers

    text = "# x\nnameserver 127.0.0.53\nnameserver 10.0.2.3\nnameserver ::1\nsearch a\n"
    assert nameservers(text) == (ipaddress.IPv4Address("10.0.2.3"),)
