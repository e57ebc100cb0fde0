"""DNS-01 against Pebble, the TXT records written by RFC 2136 update into a real Knot
server with a TSIG key, and removed again afterwards."""

from __future__ import annotations

import dataclasses

import pytest
from acme_helpers import FQDN, Tools, trust
from acme_knot import Knot
from acme_pebble import HOST, Pebble
from sbc.certs.acme.dns01 import DnsUpdater, TsigKey
from sbc.certs.acme.renew import installed_leaf, renew
from sbc.certs.paths import CertPaths
from sbc.config.model import AcmeSettings

pytestmark = pytest.mark.peers

RECORD = f"_acme-challenge.{FQDN}"


def _settings(server: Pebble, knot: Knot) -> AcmeSettings:
    return AcmeSettings(server.directory, challenge="dns-01", dns_server=(HOST, knot.port),
                        tsig_name=knot.key_name, tsig_secret=knot.secret)


def test_dns01_issues_and_cleans_up(pebble_dns: Pebble, knot: Knot, paths: CertPaths,
                                    tools: Tools, monkeypatch: pytest.MonkeyPatch) -> None:
    trust(paths, pebble_dns, monkeypatch)
    seen: list[list[str] | None] = []
    original = DnsUpdater.add

    def add(self: DnsUpdater, name: str, value: str) -> None:
        original(self, name, value)
        seen.append(knot.txt(name))  # there while the CA looks

    monkeypatch.setattr(DnsUpdater, "add", add)
    outcome = renew(_settings(pebble_dns, knot), FQDN, paths, system_store=None)
    assert outcome.result == "issued", outcome
    assert installed_leaf(paths) is not None
    assert seen and seen[0] and len(seen[0]) == 1
    assert knot.txt(RECORD) == []  # removed again
    assert tools.calls(tools.nft_log) == []  # port 80 never opened


def test_dns01_with_a_wrong_key_fails_with_the_servers_answer(
    pebble_dns: Pebble, knot: Knot, paths: CertPaths, tools: Tools,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trust(paths, pebble_dns, monkeypatch)
    wrong = dataclasses.replace(_settings(pebble_dns, knot),
                                tsig_secret="d3Jvbmd3cm9uZ3dyb25nd3Jvbmd3cm9uZ3dyb25nMTI=")
    outcome = renew(wrong, FQDN, paths, system_store=None)
    assert outcome.result == "failed"
    assert "DNS-01" in outcome.message and "signature" in outcome.ca_error
    assert knot.txt(RECORD) == []


def test_updater_removes_only_its_own_values(knot: Knot) -> None:
    key = TsigKey(knot.key_name, knot.secret)
    with DnsUpdater(knot.zone, HOST, knot.port, key) as outer:
        outer.add(f"_acme-challenge.x.{knot.zone}", "keep")
        with DnsUpdater(knot.zone, HOST, knot.port, key) as inner:
            inner.add(f"_acme-challenge.x.{knot.zone}", "mine")
            assert sorted(knot.txt(f"_acme-challenge.x.{knot.zone}") or []) == [
                '"keep"', '"mine"']
        assert knot.txt(f"_acme-challenge.x.{knot.zone}") == ['"keep"']
    assert knot.txt(f"_acme-challenge.x.{knot.zone}") == []
