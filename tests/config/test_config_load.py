"""Loading whole files: defaults, the shipped examples, the error format."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from sbc.config import ConfigError, check, load_config, loads
from sbc.config.issues import Severity
from sbc.config.loader import inspect
from sbc.config.placeholders import placeholder_reason

from .conftest import MINIMAL, WriteConfig

ROOT = Path(__file__).resolve().parents[2]


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [str(e) for e in info.value.errors]


def test_minimal_file_gets_documented_defaults(write_config: WriteConfig) -> None:
    config = load_config(write_config(MINIMAL))
    sbc = config.sbc
    assert sbc.fqdn == "sbc.example.com"
    assert sbc.public_ip == ipaddress.IPv4Address("203.0.113.10")
    assert sbc.wan_ip is None
    assert [(x.transport, str(x.address), x.port) for x in sbc.listen] == [
        ("udp", "0.0.0.0", 5060),
        ("tcp", "0.0.0.0", 5060),
        ("tls", "0.0.0.0", 5061),
    ]
    assert sbc.options_interval == 60
    assert sbc.tls.ca_bundle == Path("/data/ca.pem")
    assert sbc.tls.cert == Path("/data/sbc.crt")
    assert sbc.limits.max_message_bytes == 65535
    assert config.trace.enabled is False
    assert config.trace.path == Path("/data/trace/sip.pcap")
    assert config.trace.include_options is False
    assert config.syslog is None
    assert config.connections == ()
    assert any("no connections" in str(w) for w in config.warnings)


@pytest.mark.parametrize("name", ["lab.yaml", "appliance.yaml"])
def test_examples_pass_check(name: str) -> None:
    issues = check(ROOT / "examples" / name)
    assert [str(i) for i in issues if i.is_error] == []
    # Only the certificate files may be missing on a development machine, and the
    # template's stand-ins are named as not configured yet.
    others = [i for i in issues if "does not exist" not in i.message
              and not i.message.startswith("not configured yet")]
    assert others == [], [str(i) for i in others]


def test_template_values_are_not_configured_yet() -> None:
    """The shipped template loads, but every value the admin must replace is named:
    the SBC's name and address, and the carrier's password; the connection that holds
    one waits, and Teams waits while sbc.fqdn is an example name."""
    config, issues = inspect(ROOT / "examples" / "appliance.yaml")
    assert config is not None
    named = {i.field: i.message for i in issues if i.message.startswith("not configured yet")}
    assert named == {
        "sbc.fqdn": "not configured yet: sbc.example.com is an example name (RFC 2606); "
                    "enter this box's own value",
        "sbc.public_ip": "not configured yet: 203.0.113.10 is a documentation address "
                         "(RFC 5737); enter this box's own value",
        "connections[0].password": "not configured yet: 'CHANGE-ME' is the template's "
                                   "placeholder; enter this box's own value",
    }
    telekom = config.connection("Telekom")
    assert config.unconfigured_for(telekom) == ("connections.Telekom.password",)
    assert config.unconfigured_for(config.connection("Teams2")) == ("sbc.fqdn",)


def test_real_values_are_not_placeholders() -> None:
    assert placeholder_reason("sbc.contoso.de") is None
    assert placeholder_reason("52.112.1.1") is None
    assert placeholder_reason("sbc.example.com.") is not None
    assert placeholder_reason("sip.EXAMPLE.net") is not None
    assert placeholder_reason("198.51.100.200") is not None
    assert placeholder_reason("please CHANGE me") is not None
    assert placeholder_reason("changeme") is None  # a real (bad) password, not ours


def test_lab_yaml_is_all_loopback() -> None:
    config = load_config(ROOT / "examples" / "lab.yaml")
    assert config.sbc.fqdn == "sbc.lab.test"
    assert {(x.transport, str(x.address), x.port) for x in config.sbc.listen} == {
        ("udp", "127.0.0.1", 5060),
        ("tcp", "127.0.0.1", 5060),
        ("tls", "127.0.0.1", 5061),
    }
    assert [c.name for c in config.connections] == ["Telekom", "Teams1", "Teams2", "Teams3"]
    hosts = {n: (str(h.address), h.port) for n, h in config.hosts.items()}
    assert hosts == {
        "reg.sip-trunk.telekom.de": ("127.0.0.1", 5080),
        "sip.pstnhub.microsoft.com": ("127.0.0.1", 5081),
        "sip2.pstnhub.microsoft.com": ("127.0.0.1", 5082),
        "sip3.pstnhub.microsoft.com": ("127.0.0.1", 5083),
    }
    loopback = ipaddress.ip_network("127.0.0.0/8")
    assert all(c.allowlist == (loopback,) for c in config.connections)
    # Relative certificate paths are taken from the config file's folder.
    assert config.sbc.tls.cert == ROOT / "examples" / "lab" / "sbc.crt"
    # Its routes say what the default routes do; rtpengine is on loopback.
    defaults = load_config(ROOT / "examples" / "appliance.yaml").routes
    assert [(r.sources, r.to) for r in config.routes] == [(r.sources, r.to) for r in defaults]
    assert [r.name for r in config.routes] == ["inbound", "outbound"]
    assert config.media.rtpengine == ("127.0.0.1", 2223)


def test_error_names_file_line_and_field(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL
        + """\
  listen:
    - {transport: udp}
    - {transport: tsl, port: 5061}
"""
    )
    assert errors_of(path) == [
        f"{path}:6: sbc.listen[1].transport: must be one of udp, tcp, tls (got 'tsl')"
    ]


def test_all_errors_are_collected(write_config: WriteConfig) -> None:
    path = write_config(
        """\
        sbc:
          fqdn: 203.0.113.10
          public_ip: not-an-ip
          options_interval: 5
          optons: 1
        connections:
          - name: Carrier
            profile: generic
            host: pbx.example.com
            transport: tsl
        """
    )
    errors = errors_of(path)
    assert errors == [
        f"{path}:2: sbc.fqdn: must be a DNS name, not an IP address (got '203.0.113.10')",
        f"{path}:3: sbc.public_ip: must be an IPv4 address (got 'not-an-ip')",
        f"{path}:4: sbc.options_interval: must be between 10 and 3600 seconds (got 5)",
        f"{path}:5: sbc.optons: unknown setting (did you mean 'options_interval'?)",
        f"{path}:10: connections[0].transport: must be one of udp, tcp, tls (got 'tsl')",
    ]


@pytest.mark.parametrize(
    ("fqdn", "message"),
    [
        ("sbc", "must be a fully qualified name"),
        ("-sbc.example.com", "bad label '-sbc'"),
        ("sbc_1.example.com", "bad label 'sbc_1'"),
        ("::1", "not an IP address"),
        ("host.123", "last label is all digits"),
    ],
)
def test_fqdn_must_be_a_dns_name(write_config: WriteConfig, fqdn: str, message: str) -> None:
    path = write_config(f"sbc:\n  fqdn: '{fqdn}'\n  public_ip: 203.0.113.10\n")
    (error,) = errors_of(path)
    assert error.startswith(f"{path}:2: sbc.fqdn: ") and message in error


def test_fqdn_is_normalised(write_config: WriteConfig) -> None:
    path = write_config("sbc:\n  fqdn: SBC.Example.COM.\n  public_ip: 203.0.113.10\n")
    assert load_config(path).sbc.fqdn == "sbc.example.com"


def test_wan_ip_and_types(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL
        + """\
  wan_ip: "2001:db8::1"
  options_interval: "60"
  model: [a]
"""
    )
    errors = errors_of(path)
    assert errors == [
        f"{path}:4: sbc.wan_ip: must be an IPv4 address (got '2001:db8::1')",
        f"{path}:5: sbc.options_interval: must be a whole number (got '60')",
        f"{path}:6: sbc.model: must be text (got a list)",
    ]


def test_wan_ip_equal_to_public_ip_warns(write_config: WriteConfig) -> None:
    config = load_config(write_config(MINIMAL + "  wan_ip: 203.0.113.10\n"))
    assert any(w.field == "sbc.wan_ip" for w in config.warnings)


def test_options_interval_over_three_minutes_warns(write_config: WriteConfig) -> None:
    path = write_config(MINIMAL + "  options_interval: 240\n")
    config = load_config(path)
    (warning,) = [w for w in config.warnings if w.field == "sbc.options_interval"]
    assert warning.severity is Severity.WARNING
    assert str(warning).startswith(f"{path}:4: sbc.options_interval: warning: 240 s is longer")


def test_listener_clashes(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL
        + """\
  listen:
    - {transport: udp, port: 5060}
    - {transport: tcp, port: 5060}
    - {transport: tls, address: 10.0.0.1, port: 5060}
"""
    )
    (error,) = errors_of(path)
    assert error == (
        f"{path}:7: sbc.listen[2]: tls 10.0.0.1:5060 clashes with sbc.listen[1] (tcp 0.0.0.0:5060)"
    )


def test_listeners_on_different_addresses_do_not_clash(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL
        + """\
  listen:
    - {transport: tcp, address: 10.0.0.1, port: 5060}
    - {transport: tls, address: 10.0.0.2, port: 5060}
"""
    )
    assert len(load_config(path).sbc.listen) == 2


def test_yaml_problems(write_config: WriteConfig) -> None:
    dup = write_config(MINIMAL + "  fqdn: other.example.com\n", "dup.yaml")
    assert errors_of(dup) == [f"{dup}:4: sbc.fqdn: given twice (first on line 2)"]
    broken = write_config("sbc:\n  fqdn: [a\n", "broken.yaml")
    (error,) = errors_of(broken)
    assert error.startswith(f"{broken}:") and "YAML syntax" in error
    empty = write_config("", "empty.yaml")
    assert errors_of(empty) == [f"{empty}: is empty; it needs at least an 'sbc' section"]
    not_mapping = write_config("- a\n", "list.yaml")
    assert errors_of(not_mapping) == [
        f"{not_mapping}:1: must be a mapping of settings (got a list)"
    ]
    missing = write_config("trace: {}\n", "nosbc.yaml")
    assert errors_of(missing) == [f"{missing}:1: sbc: required setting is missing"]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    assert errors_of(path) == [f"{path}: cannot read: No such file or directory"]
    assert [str(i) for i in check(path)] == [f"{path}: cannot read: No such file or directory"]


def test_hosts_map(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL
        + """\
hosts:
  Reg.Example.COM: 127.0.0.1
  sip.example.com: 127.0.0.1:5081
  v6.example.com: "[::1]:5082"
  v6only.example.com: "::1"
"""
    )
    hosts = load_config(path).hosts
    assert {n: (str(h.address), h.port) for n, h in hosts.items()} == {
        "reg.example.com": ("127.0.0.1", None),
        "sip.example.com": ("127.0.0.1", 5081),
        "v6.example.com": ("::1", 5082),
        "v6only.example.com": ("::1", None),
    }


def test_hosts_map_errors(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL
        + """\
hosts:
  a.example.com: 127.0.0.1:99999
  b.example.com: localhost
  A.EXAMPLE.COM: 127.0.0.2
"""
    )
    assert errors_of(path) == [
        f"{path}:5: hosts.a.example.com: must be 'IP' or 'IP:PORT' such as 127.0.0.1:5080 "
        "(got '127.0.0.1:99999')",
        f"{path}:6: hosts.b.example.com: must be 'IP' or 'IP:PORT' such as 127.0.0.1:5080 "
        "(got 'localhost')",
        f"{path}:7: hosts.A.EXAMPLE.COM: given twice (names ignore case)",
    ]


def test_syslog_and_trace(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL
        + """\
syslog:
  host: 192.0.2.50
trace:
  enabled: true
  path: traces/sip.pcap
  include_options: true
"""
    )
    config = load_config(path)
    assert config.syslog is not None
    assert (str(config.syslog.host), config.syslog.port, config.syslog.protocol) == (
        "192.0.2.50",
        514,
        "udp",
    )
    assert config.trace.enabled and config.trace.include_options
    assert config.trace.path == path.parent / "traces" / "sip.pcap"
    assert config.trace.files == 5 and config.trace.max_bytes == 10 * 1024 * 1024


def test_syslog_errors(write_config: WriteConfig) -> None:
    path = write_config(
        MINIMAL
        + """\
syslog:
  host: logs.example.com
  protocol: relp
  port: 0
trace:
  max_bytes: 10
  enabled: yes please
"""
    )
    assert errors_of(path) == [
        f"{path}:5: syslog.host: must be an IP address (got 'logs.example.com')",
        f"{path}:6: syslog.protocol: must be one of udp, tcp, tls (got 'relp')",
        f"{path}:7: syslog.port: must be between 1 and 65535 (got 0)",
        f"{path}:9: trace.max_bytes: must be between 65536 and 10737418240 bytes (got 10)",
        f"{path}:10: trace.enabled: must be true or false (got 'yes please')",
    ]


def test_missing_certificate_files(write_config: WriteConfig, tmp_path: Path) -> None:
    path = write_config(MINIMAL + "  tls:\n    cert: certs/sbc.crt\n")
    issues = [i for i in check(path) if "does not exist" in i.message]
    assert [(i.field, i.line, i.severity) for i in issues] == [
        ("sbc.tls.ca_bundle", 4, Severity.WARNING),
        ("sbc.tls.key", 4, Severity.WARNING),
        ("sbc.tls.cert", 5, Severity.WARNING),
    ]
    assert str(tmp_path / "certs" / "sbc.crt") in issues[2].message
    with pytest.raises(ConfigError) as info:
        load_config(path, require_files=True)
    assert {e.field for e in info.value.errors} == {
        "sbc.tls.cert",
        "sbc.tls.key",
        "sbc.tls.ca_bundle",
    }


def test_no_tls_needed_no_file_check(write_config: WriteConfig) -> None:
    path = write_config(MINIMAL + "  listen: [{transport: udp}]\n")
    assert load_config(path, require_files=True).sbc.listener("tls") is None


def test_loads_uses_the_given_name() -> None:
    with pytest.raises(ConfigError) as info:
        loads("sbc: {fqdn: x.example.com}\n", "/data/sbc.yaml")
    assert [str(e) for e in info.value.errors] == [
        "/data/sbc.yaml:1: sbc.public_ip: required setting is missing"
    ]
