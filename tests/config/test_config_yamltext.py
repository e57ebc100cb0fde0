"""YAML edited as text: only the changed characters move, comments stay."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sbc.config import loads
from sbc.config.change import Editor
from sbc.config.yamltext import EditError, append_item, remove, set_value, yaml_scalar

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = (REPO / "examples/appliance.yaml").read_text()
BASE = "sbc:\n  fqdn: sbc.example.com\n  public_ip: 203.0.113.10\n"


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def edit(text: str, **values: str) -> str:
    editor = Editor("sbc.yaml", text)
    for key, value in values.items():
        editor.set(key.replace("__", "."), value)
    assert editor.errors == []
    return editor.text


def test_values_replaced_in_place_with_comments_kept() -> None:
    new = edit(EXAMPLE, sbc__fqdn="sbc2.example.com", sbc__public_ip="198.51.100.7",
               sbc__tls_port="5067", sbc__options_interval="90")
    assert changed_lines(EXAMPLE, new) == [
        ("  fqdn: sbc.example.com            # CHANGE",
         "  fqdn: sbc2.example.com            # CHANGE"),
        ("  public_ip: 203.0.113.10          # CHANGE",
         "  public_ip: 198.51.100.7          # CHANGE"),
        ('    - {transport: tls, port: 5061}   # "SIP TLS port": Teams connects here',
         '    - {transport: tls, port: 5067}   # "SIP TLS port": Teams connects here'),
        ("  options_interval: 60", "  options_interval: 90"),
    ]
    config = loads(new, "sbc.yaml")
    assert (config.sbc.fqdn, str(config.sbc.public_ip)) == ("sbc2.example.com", "198.51.100.7")
    assert config.sbc.listener("tls").port == 5067  # type: ignore[union-attr]


def test_key_added_after_the_mapping_and_removed_again() -> None:
    added = edit(EXAMPLE, sbc__wan_ip="192.168.10.10")
    assert "    ca_bundle: /data/ca.pem        # system roots + Microsoft's + yours\n" \
           "  wan_ip: 192.168.10.10\n" in added
    assert str(loads(added, "sbc.yaml").sbc.wan_ip) == "192.168.10.10"
    assert edit(added, sbc__wan_ip="") == EXAMPLE
    assert edit(EXAMPLE, sbc__wan_ip="") == EXAMPLE  # nothing to remove


def test_missing_sections_are_added_as_blocks() -> None:
    new = edit(EXAMPLE, media__port_min="31000", sbc__limits__max_connections="10")
    assert new.endswith("  include_options: false\nmedia:\n  port_min: 31000\n")
    assert "  limits:\n    max_connections: 10\n" in new
    config = loads(new, "sbc.yaml")
    assert (config.media.port_min, config.sbc.limits.max_connections) == (31000, 10)


def test_a_default_sent_again_adds_nothing() -> None:
    assert edit(BASE, sbc__options_interval="60", sbc__tls_port="5061", sbc__wan_ip="") == BASE


@pytest.mark.parametrize(("listen", "expected"), [
    ("", "  listen: [{transport: udp, port: 5060}, {transport: tcp, port: 5060}, "
         "{transport: tls, port: 5067}]\n"),
    ("  listen:\n    - {transport: tls}\n",
     "  listen:\n    - {transport: tls, port: 5067}\n"),
    ("  listen:\n    - transport: tls\n      address: 192.0.2.10\n",
     "  listen:\n    - transport: tls\n      address: 192.0.2.10\n      port: 5067\n"),
    ("  listen:\n    - {transport: udp, port: 5060}\n",
     "  listen:\n    - {transport: udp, port: 5060}\n    - transport: tls\n      port: 5067\n"),
    ("  listen: [{transport: udp}]\n",
     "  listen: [{transport: udp}, {transport: tls, port: 5067}]\n"),
])
def test_tls_port_in_every_listen_shape(listen: str, expected: str) -> None:
    new = edit(BASE + listen, sbc__tls_port="5067")
    assert new == BASE + expected
    assert loads(new, "sbc.yaml").sbc.listener("tls").port == 5067  # type: ignore[union-attr]


def test_flow_style_section() -> None:
    text = "sbc: {fqdn: a.example.com, public_ip: 203.0.113.10}\n"
    new = edit(text, sbc__fqdn="b.example.com", sbc__wan_ip="10.0.0.1", sbc__tls_port="5067")
    doc = yaml.safe_load(new)["sbc"]
    assert doc["fqdn"] == "b.example.com" and doc["wan_ip"] == "10.0.0.1"
    assert {"transport": "tls", "port": 5067} in doc["listen"]
    assert remove(new, ("sbc", "wan_ip")) == new.replace(", wan_ip: 10.0.0.1", "")


def test_scalars_cannot_inject_structure() -> None:
    assert yaml_scalar("sbc.example.com") == "sbc.example.com"
    assert yaml_scalar("a: b") == '"a: b"'
    assert yaml_scalar("yes") == '"yes"'
    assert yaml_scalar("0123") == '"0123"'  # would read as a number
    assert yaml_scalar("x\nmodel: evil") == '"x\\nmodel: evil"'
    new = edit(EXAMPLE, sbc__model="x\nconnections: []")
    assert yaml.safe_load(new)["sbc"]["model"] == "x\nconnections: []"
    with pytest.raises(EditError, match="one line"):
        set_value(EXAMPLE, ("sbc", "model"), "a\nb: c")


def test_shapes_that_cannot_take_the_change() -> None:
    with pytest.raises(EditError, match="not a mapping"):
        set_value("sbc: [1]\n", ("sbc", "fqdn"), "a.example.com")
    with pytest.raises(EditError, match="not YAML"):
        set_value("sbc: [\n", ("sbc", "fqdn"), "a.example.com")


def test_list_items_added_and_removed_with_their_comments() -> None:
    new = append_item(EXAMPLE, ("connections",), [("name", "PBX"), ("profile", "generic"),
                                                  ("host", "pbx.example.net")])
    assert "  - name: Teams\n    profile: teams-generic\n" \
           "  - name: PBX\n    profile: generic\n    host: pbx.example.net\n" in new
    assert [c.name for c in loads(new, "sbc.yaml").connections][-1] == "PBX"
    assert remove(new, ("connections", 2)) == EXAMPLE
    gone = remove(EXAMPLE, ("connections", 0))
    assert "name: Telekom" not in gone and "Telefonie" not in gone  # its comments too
    assert "  # Microsoft Teams Direct Routing" in gone
    assert remove(remove(EXAMPLE, ("connections", 1)), ("connections", 0)).count("\n  - name:") == 0


def test_first_key_of_a_list_item_removed_keeps_the_dash() -> None:
    text = "items:\n  - name: a\n    profile: b\n"
    assert remove(text, ("items", 0, "name")) == "items:\n  - profile: b\n"
