"""Would the loaded ruleset let a new packet in: the `nft -j` reader on recorded JSON."""

from __future__ import annotations

import ipaddress
from typing import Any

from sbc.doctor.nftables import Probe, decide, probes_for

from .helpers import ruleset

MS = ("52.112.0.0/14", "52.120.0.0/14")


def table(*rules: list[dict[str, Any]], policy: str = "drop") -> dict[str, Any]:
    """A table as `nft -j` prints it: an input chain and these rules' expressions."""
    items: list[dict[str, Any]] = [
        {"table": {"family": "inet", "name": "opensbc"}},
        {"chain": {"family": "inet", "table": "opensbc", "name": "input", "hook": "input",
                   "policy": policy}},
    ]
    items += [{"rule": {"family": "inet", "table": "opensbc", "chain": "input", "handle": n,
                        "expr": expr}} for n, expr in enumerate(rules, start=3)]
    return {"nftables": items}


def saddr(right: Any) -> dict[str, Any]:
    return {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                      "right": right}}


def dport(proto: str, right: Any) -> dict[str, Any]:
    return {"match": {"op": "==", "left": {"payload": {"protocol": proto, "field": "dport"}},
                      "right": right}}


def prefix(addr: str, length: int) -> dict[str, Any]:
    return {"prefix": {"addr": addr, "len": length}}


ACCEPT: dict[str, Any] = {"accept": None}
DROP: dict[str, Any] = {"drop": None}


def tls(address: str) -> Probe:
    return Probe(ipaddress.ip_address(address), "tcp", 5061)


def test_the_rendered_appliance_rules_open_tls_and_media_to_everyone() -> None:
    rules = ruleset()
    for address in probes_for(MS):
        assert decide(rules, Probe(address, "tcp", 5061)).accepted
        assert decide(rules, Probe(address, "udp", 39999)).accepted
    assert not decide(rules, Probe(ipaddress.ip_address("52.112.0.1"), "tcp", 5062)).accepted
    assert decide(rules, Probe(ipaddress.ip_address("8.8.8.8"), "tcp", 22)).why.startswith(
        "rule ")


def test_a_set_of_microsoft_prefixes() -> None:
    rules = table([saddr({"set": [prefix("52.112.0.0", 14), prefix("52.120.0.0", 14)]}),
                   dport("tcp", 5061), ACCEPT])
    assert all(decide(rules, Probe(a, "tcp", 5061)).accepted for a in probes_for(MS))
    verdict = decide(rules, tls("8.8.8.8"))
    assert (verdict.accepted, verdict.why) == (False, "chain policy drop")


def test_an_old_single_range_misses_part_of_microsoft() -> None:
    rules = table([saddr(prefix("52.114.0.0", 16)), dport("tcp", 5061), ACCEPT])
    closed = [a for a in probes_for(MS) if not decide(rules, Probe(a, "tcp", 5061)).accepted]
    assert str(closed[0]) == "52.112.0.0"


def test_a_drop_before_the_accept_wins() -> None:
    rules = table([dport("tcp", 5061), DROP], [dport("tcp", 5061), ACCEPT], policy="accept")
    verdict = decide(rules, tls("52.112.0.1"))
    assert (verdict.accepted, verdict.why) == (False, "rule 3")


def test_a_rule_we_cannot_read_does_not_count() -> None:
    odd = {"match": {"op": "==", "left": {"meta": {"key": "mark"}}, "right": 1}}
    rules = table([odd, dport("tcp", 5061), ACCEPT])
    assert not decide(rules, tls("52.112.0.1")).accepted


def test_ports_sets_and_ranges() -> None:
    rules = table([dport("udp", {"set": [5060, {"range": [30000, 39999]}]}), ACCEPT])
    assert decide(rules, Probe(ipaddress.ip_address("52.120.1.1"), "udp", 35000)).accepted
    assert not decide(rules, Probe(ipaddress.ip_address("52.120.1.1"), "udp", 40000)).accepted
    assert not decide(rules, Probe(ipaddress.ip_address("52.120.1.1"), "tcp", 5060)).accepted


def test_probes_cover_both_ends_of_each_range() -> None:
    assert [str(a) for a in probes_for(("52.112.0.0/14",))] == [
        "52.112.0.0", "52.114.0.0", "52.115.255.255"]


def test_a_named_set_is_looked_up() -> None:
    rules = table([saddr("@sip_peers4"), dport("tcp", 5061), {"accept": None}])
    rules["nftables"].insert(1, {"set": {
        "family": "inet", "name": "sip_peers4", "table": "opensbc", "type": "ipv4_addr",
        "flags": ["interval"], "elem": [prefix("52.112.0.0", 14), "192.0.2.7"]}})
    inside = ipaddress.ip_address("52.113.0.1")
    assert decide(rules, Probe(inside, "tcp", 5061)).accepted
    assert decide(rules, Probe(ipaddress.ip_address("192.0.2.7"), "tcp", 5061)).accepted
    assert not decide(rules, Probe(ipaddress.ip_address("203.0.113.1"), "tcp", 5061)).accepted
    missing = table([saddr("@nowhere"), dport("tcp", 5061), {"accept": None}])
    assert not decide(missing, Probe(inside, "tcp", 5061)).accepted  # unknown: not open
