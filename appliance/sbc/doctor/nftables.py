"""Would a new inbound packet pass `inet opensbc`? Answered from `nft -j` output, no I/O.

The doctor compares intent (TLS from Microsoft's ranges, the RTP range) with what the
kernel has loaded, so a hand edit or a failed reload shows up. The input chain is walked
in order like the kernel does for a packet opening a connection: the first rule whose
every match holds decides (accept/drop/reject), else the chain policy. A match this
module does not understand makes its rule not apply: an accept we cannot read does not
count as open, a drop we cannot read does not count as closed. A named set (`ip saddr
@sip_peers4`) is looked up among the table's sets.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
TABLE = "opensbc"
_VERDICTS = {"accept", "drop", "reject"}


@dataclass(frozen=True)
class Probe:
    """A packet opening a connection (conntrack state "new") from `source`."""

    source: IPAddress
    proto: str  # "tcp" or "udp"
    port: int


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    why: str  # "rule 12 (SIP TLS)" or "chain policy drop"


def _rules(ruleset: Mapping[str, Any], chain: str) -> Iterator[dict[str, Any]]:
    for item in ruleset.get("nftables", []):
        rule = item.get("rule") if isinstance(item, dict) else None
        if isinstance(rule, dict) and rule.get("table") == TABLE and rule.get("chain") == chain:
            yield rule


def input_chain(ruleset: Mapping[str, Any]) -> dict[str, Any] | None:
    """The base chain on the input hook (named "input" by our template)."""
    for item in ruleset.get("nftables", []):
        chain = item.get("chain") if isinstance(item, dict) else None
        if isinstance(chain, dict) and chain.get("table") == TABLE \
                and chain.get("hook") == "input":
            return chain
    return None


def named_sets(ruleset: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The elements of each named set of our table ("@name" -> elements)."""
    out: dict[str, list[Any]] = {}
    for item in ruleset.get("nftables", []):
        found = item.get("set") if isinstance(item, dict) else None
        if isinstance(found, dict) and found.get("table") == TABLE:
            elems = found.get("elem") or []
            out["@" + str(found.get("name"))] = list(elems) if isinstance(elems, list) \
                else [elems]
    return out


def _members(right: Any) -> list[Any]:
    """A match's right side as a list: a value, a set, an anonymous list."""
    if isinstance(right, dict) and "set" in right:
        value = right["set"]
        return list(value) if isinstance(value, list) else [value]
    if isinstance(right, list):
        return list(right)
    return [right]


def _port_in(port: int, item: Any) -> bool | None:
    if isinstance(item, int):
        return port == item
    if isinstance(item, dict) and "range" in item:
        low, high = item["range"]
        return int(low) <= port <= int(high)
    return None


def _address_in(address: IPAddress, item: Any) -> bool | None:
    try:
        if isinstance(item, str):
            return address in ipaddress.ip_network(item, strict=False)
        if isinstance(item, dict) and "prefix" in item:
            prefix = item["prefix"]
            net = ipaddress.ip_network(f"{prefix['addr']}/{prefix['len']}", strict=False)
            return address in net
        if isinstance(item, dict) and "range" in item:
            low, high = (ipaddress.ip_address(v) for v in item["range"])
            return low.version == address.version and low <= address <= high  # type: ignore[operator]
    except (ValueError, KeyError, TypeError):
        return None
    return None


def _any(results: list[bool | None]) -> bool | None:
    if any(r is True for r in results):
        return True
    return None if any(r is None for r in results) else False


def _match(probe: Probe, match: Mapping[str, Any],
           sets: Mapping[str, list[Any]] | None = None) -> bool | None:
    """True/False for a match on this probe; None when we cannot tell."""
    op, left, right = match.get("op"), match.get("left"), match.get("right")
    if op not in ("==", "in", "!="):
        return None
    if isinstance(right, str) and right.startswith("@"):
        if sets is None or right not in sets:
            return None
        right = {"set": sets[right]}
    result = _match_value(probe, left, right)
    if result is None or op != "!=":
        return result
    return not result


def _match_value(probe: Probe, left: Any, right: Any) -> bool | None:
    if not isinstance(left, dict):
        return None
    family = "ip" if probe.source.version == 4 else "ip6"
    if "payload" in left:
        payload = left["payload"]
        protocol, name = payload.get("protocol"), payload.get("field")
        if protocol in ("ip", "ip6"):
            if protocol != family:
                return False
            if name == "saddr":
                return _any([_address_in(probe.source, m) for m in _members(right)])
            if name == "daddr":
                return True  # addressed to this box; the listener's own address
            return None
        if protocol in ("tcp", "udp"):
            if protocol != probe.proto:
                return False
            if name == "dport":
                return _any([_port_in(probe.port, m) for m in _members(right)])
            return None
        return None
    if "meta" in left:
        key = left["meta"].get("key")
        if key == "l4proto":
            return probe.proto in _members(right)
        if key == "nfproto":
            return ("ipv4" if family == "ip" else "ipv6") in _members(right)
        if key in ("iif", "iifname"):
            return False if _members(right) == ["lo"] else None
        return None
    if "ct" in left and left["ct"].get("key") == "state":
        return "new" in _members(right)
    return None


def decide(ruleset: Mapping[str, Any], probe: Probe) -> Verdict:
    """What the input chain does with `probe`."""
    chain = input_chain(ruleset)
    if chain is None:
        return Verdict(True, "no input chain in table inet opensbc")
    sets = named_sets(ruleset)
    for rule in _rules(ruleset, str(chain.get("name"))):
        exprs = rule.get("expr") or []
        verdict = next((v for e in exprs if isinstance(e, dict) for v in e if v in _VERDICTS),
                       None)
        if verdict is None:
            continue  # counters, logs, jumps: not a decision we can follow
        matches = [e["match"] for e in exprs if isinstance(e, dict) and "match" in e]
        results = [_match(probe, m, sets) for m in matches]
        if all(r is True for r in results):
            label = f"rule {rule.get('handle')}"
            comment = rule.get("comment")
            return Verdict(verdict == "accept", f"{label} ({comment})" if comment else label)
    policy = str(chain.get("policy", "accept"))
    return Verdict(policy == "accept", f"chain policy {policy}")


def probes_for(networks: tuple[str, ...]) -> list[IPAddress]:
    """First, middle and last address of each network: a rule covering only part of a
    range (the old 52.114.0.0/16) misses at least one of them."""
    out: list[IPAddress] = []
    for text in networks:
        net = ipaddress.ip_network(text)
        out += [net.network_address, net.network_address + net.num_addresses // 2,
                net.broadcast_address]
    return out
