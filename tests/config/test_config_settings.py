"""The settings registry: one entry per key of the loader's tables, and every setting
set through it reads back equal through load_config (a property test per setting)."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sbc.config import Config, Connection, load_config
from sbc.config.change import Editor, commit
from sbc.config.current import current, plain
from sbc.config.settings import SECTIONS, TLS_PORT, Setting, fixed_settings, settings_for
from sbc.config.yamltext import yaml_scalar

REPO = Path(__file__).resolve().parents[2]
# The shipped template plus what makes every setting reachable: a syslog server (its
# host is required), Telekom over TLS (so srtp may be true) and a generic peer with
# credentials, registration and a number plan (so each of its fields shows).
BASE = (REPO / "examples/appliance.yaml").read_text().replace(
    "    # transport: tls               # only if TLS was ordered",
    "    transport: tls",
) + """\
syslog:
  host: 192.0.2.50
acme:
  directory: https://acme.example.org/directory
  eab_kid: kid-1
  eab_hmac: c2VjcmV0
  dns_server: 192.0.2.53
  tsig_name: acme-key
  tsig_secret: c2VjcmV0
"""
BASE = BASE.replace("""  - name: Teams
    profile: teams-generic
""", """  - name: Teams
    profile: teams-generic
  - name: PBX
    profile: generic
    host: pbx.lab.test
    transport: tls
    username: pbx
    password: secret
    register: true
    country_code: "49"
""")
SETTINGS = settings_for(BASE)


def test_every_table_key_is_a_setting() -> None:
    paths = {s.path for s in fixed_settings()}
    for section, keys in SECTIONS.items():
        for key in keys:
            path = f"{section}.{key.name}" if section else key.name
            assert path in paths or path in SECTIONS or path == "connections", path
    assert TLS_PORT in paths
    conns = [p for p in SETTINGS if p.startswith("connections.")]
    assert "connections.Telekom.line_number" in conns and "connections.PBX.headers" in conns
    assert "connections.Teams.host" not in conns  # fixed by its profile


def test_effects() -> None:
    restart = {s.path for s in SETTINGS.values() if s.effect == "restart-media"}
    assert restart == {"sbc.public_ip", "sbc.wan_ip", "media.rtpengine", "media.port_min",
                       "media.port_max", "media.no_rtp_timeout"}


# -- valid values per type ---------------------------------------------------------------

_LABEL = st.from_regex(r"\A[a-z]([a-z0-9-]{0,8}[a-z0-9])?\Z")
_FQDN = st.lists(_LABEL, min_size=2, max_size=4).map(".".join)
_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                min_size=1, max_size=40).filter(lambda s: s == s.strip() and s)
_NETWORK = st.tuples(st.ip_addresses(), st.integers(0, 128)).map(
    lambda a: ipaddress.ip_network(f"{a[0]}/{min(a[1], a[0].max_prefixlen)}", strict=False))
_PATH = st.lists(st.from_regex(r"\A[a-z0-9_-]{1,8}\Z"), min_size=1, max_size=3).map(
    lambda parts: "/" + "/".join(parts))


def _flow(value: Any) -> str:
    return json.dumps(value)  # JSON is YAML flow


def _listen() -> st.SearchStrategy[tuple[str, Any]]:
    entry = st.tuples(st.sampled_from(["udp", "tcp", "tls"]), st.integers(1, 65535))
    items = st.lists(entry, min_size=1, max_size=3, unique_by=lambda e: e[1])
    return items.map(lambda xs: (
        _flow([{"transport": t, "port": p} for t, p in xs]),
        [{"transport": t, "address": "0.0.0.0", "port": p} for t, p in xs]))


# (value as typed on the command line, what load_config gives back as plain JSON)
Example = st.SearchStrategy[tuple[str, Any]]
OVERRIDES: dict[str, Example] = {
    # ranges the other settings of BASE allow (port count vs max_calls, min_se)
    "media.port_min": st.integers(1024, 38000).map(lambda n: (str(n), n)),
    "media.port_max": st.integers(31000, 65535).map(lambda n: (str(n), n)),
    "calls.min_se": st.integers(90, 1800).map(lambda n: (str(n), n)),
    "calls.max_calls": st.integers(1, 5000).map(lambda n: (str(n), n)),
    "sbc.tls_port": st.integers(1, 65535).filter(lambda n: n != 5060).map(lambda n: (str(n), n)),
    "sbc.listen": _listen(),
    "media.rtpengine": st.tuples(st.ip_addresses(v=4, network="127.0.0.0/8"),
                                 st.integers(1, 65535)).map(
        lambda a: (f"{a[0]}:{a[1]}", f"{a[0]}:{a[1]}")),
    "hosts": st.dictionaries(_FQDN, st.ip_addresses(v=4).map(str), max_size=3).map(
        lambda d: (_flow(d), d)),
    "acme.directory": _FQDN.map(lambda s: (f"https://{s}/dir", f"https://{s}/dir")),
    "acme.email": _FQDN.map(lambda s: (f"admin@{s}", f"admin@{s}")),
    "acme.renew_at": st.integers(5, 90).map(lambda n: (f"{n / 100}", n / 100)),
    "acme.dns_server": st.tuples(st.ip_addresses(v=4), st.integers(1, 65535)).map(
        lambda a: (f"{a[0]}:{a[1]}", f"{a[0]}:{a[1]}")),
    "routes": st.lists(st.sampled_from(["Teams", "Telekom", "PBX"]), min_size=1,
                       max_size=3).map(lambda to: (_flow([{"to": to}]), [to])),
}


def example(setting: Setting) -> Example:
    if setting.path in OVERRIDES:
        return OVERRIDES[setting.path]
    t = setting.type
    if t.options:
        bools = {"true": True, "false": False}
        return st.sampled_from(t.options).map(lambda o: (o, bools.get(o, o)))
    if t.kind == "integer":
        assert t.lo is not None and t.hi is not None
        return st.integers(t.lo, t.hi).map(lambda n: (str(n), n))
    if t.kind == "boolean":
        return st.booleans().map(lambda b: (str(b).lower(), b))
    if t.kind == "text":
        return _TEXT.filter(lambda s: len(s) <= (t.max_len or 1024)).map(lambda s: (s, s))
    if t.kind == "ip":
        return st.ip_addresses(v=t.version or 4).map(lambda a: (str(a), str(a)))
    if t.kind in ("fqdn", "host"):
        return _FQDN.map(lambda s: (s, s))
    if t.kind == "path":
        return _PATH.map(lambda s: (s, s))
    if t.kind == "e164":
        return st.from_regex(r"\A\+[1-9][0-9]{5,14}\Z").map(lambda s: (s, s))
    if t.kind == "digits":
        return st.from_regex(rf"\A[0-9]{{1,{t.max_len}}}\Z").map(lambda s: (s, s))
    if t.kind == "list" and t.item and t.item.kind == "network":
        return st.lists(_NETWORK, max_size=3).map(
            lambda ns: (_flow([str(n) for n in ns]), [str(n) for n in ns]))
    if t.kind == "list" and t.item and t.item.kind == "digits":  # emergency numbers
        return st.lists(st.from_regex(rf"\A[0-9]{{1,{t.item.max_len}}}\Z"), min_size=1,
                        max_size=3).map(lambda ns: (_flow(ns), ns))
    if t.kind == "mapping":  # extra headers
        names = st.from_regex(r"\AX-[A-Za-z]{1,8}\Z")
        return st.dictionaries(names, _TEXT, max_size=3).filter(
            lambda d: len({k.lower() for k in d}) == len(d)).map(lambda d: (
            "{" + ", ".join(f"{k}: {yaml_scalar(v)}" for k, v in d.items()) + "}", d or []))
    raise AssertionError(f"no example values for {setting.path} ({t})")


# -- reading back through load_config ------------------------------------------------------


def _entry(config: Config, name: str) -> Connection:
    index = next(e.index for e in SETTINGS.entries if e.name == name)
    return next(c for c in config.connections if c.entry == f"connections[{index}]")


CONNECTION_VALUES: dict[str, Callable[[Connection], Any]] = {
    "host": lambda c: c.host,
    "port": lambda c: c.port,
    "transport": lambda c: c.transport,
    "resolve": lambda c: c.resolve,
    "register": lambda c: c.registration is not None,
    "domain": lambda c: c.registration and c.registration.domain,
    "expires": lambda c: c.registration and c.registration.expires,
    "username": lambda c: c.auth.username if c.auth else c.registration and c.registration.user,
    "auth_user": lambda c: c.auth and c.auth.auth_user,
    "password": lambda c: c.auth and c.auth.password,
    "realm": lambda c: c.auth and c.auth.realm,
    "allowlist": lambda c: c.allowlist,
    "options": lambda c: c.options,
    "headers": lambda c: c.headers,
    "priority": lambda c: c.priority,
    "group": lambda c: c.group,
    "country_code": lambda c: c.numbers and c.numbers.country_code,
    "national_prefix": lambda c: c.numbers and c.numbers.national_prefix,
    "international_prefix": lambda c: c.numbers and c.numbers.international_prefix,
    "number_format": lambda c: c.numbers and c.numbers.format,
    "srtp": lambda c: c.srtp,
    "media_bypass": lambda c: c.media_bypass,
    "identity": lambda c: c.identity,
    "emergency_numbers": lambda c: c.emergency_numbers,
    "location": lambda c: c.location,
    "trunk_number": lambda c: c.trunk_number,
}


def read_back(config: Config, setting: Setting) -> Any:
    path = setting.path
    if path == TLS_PORT:
        return config.sbc.listener("tls").port  # type: ignore[union-attr]
    if path == "hosts":
        return {name: str(h.address) for name, h in config.hosts.items()}
    if path == "routes":
        return [list(r.to) for r in config.routes]
    if path.startswith("connections."):
        _, name, field = path.split(".")
        profile = SETTINGS.profiles.get(next(e.profile for e in SETTINGS.entries
                                             if e.name == name))[0]
        assert profile is not None
        target = profile.fields[field].target
        return plain(CONNECTION_VALUES[target](_entry(config, name)))
    value: Any = config
    for part in path.split("."):
        value = getattr(value, part)
    return plain(value, setting.type.kind)


@pytest.mark.parametrize("key", list(SETTINGS))
@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_setting_reads_back_equal(tmp_path: Path, key: str, data: st.DataObject) -> None:
    setting = SETTINGS[key]
    typed, expected = data.draw(example(setting), label=key)
    path = tmp_path / "sbc.yaml"
    path.write_text(BASE)
    editor = Editor(str(path), BASE, SETTINGS.profiles)
    editor.set(key, typed)
    outcome = commit(editor, path)
    assert outcome.errors == [], [str(e) for e in outcome.errors]
    assert read_back(load_config(path), setting) == expected
    shown = json.loads(typed) if setting.type.kind == "yaml" else expected  # as written
    assert current(path.read_text(), path, setting).value == shown


# -- bad values ------------------------------------------------------------------------------

BAD = {"integer": "x1", "boolean": "maybe", "ip": "999.1.1.1", "fqdn": "bad_name",
       "e164": "12345", "digits": "4x", "host": "-bad-"}


@pytest.mark.parametrize("key", [k for k in SETTINGS
                                 if SETTINGS[k].type.kind in BAD or SETTINGS[k].type.options])
def test_a_bad_value_is_refused_naming_the_field(tmp_path: Path, key: str) -> None:
    setting = SETTINGS[key]
    bad = "not-one-of-them" if setting.type.options else BAD[setting.type.kind]
    path = tmp_path / "sbc.yaml"
    path.write_bytes(BASE.encode())
    editor = Editor(str(path), BASE)
    editor.set(key, bad)
    outcome = commit(editor, path)
    assert outcome.config is None and not outcome.saved
    fields = {e.field for e in outcome.errors}
    named = key if not key.startswith("connections.") else key.split(".")[-1]
    assert any(f == key or f.endswith("." + named) or f.startswith("sbc.listen")
               for f in fields), fields
    assert path.read_bytes() == BASE.encode()
