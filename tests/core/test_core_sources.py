"""The source gate before parsing: allowed or dropped (and counted) on the address alone,
and which sources are configured peers (their connection slots are reserved)."""

from __future__ import annotations

import asyncio

from sbc.app.runtime import identity as runtime_identity
from sbc.config import Config, loads
from sbc.core import SipEngine, SourceGate
from sbc.transport import Peer

CONFIG = """
sbc:
  fqdn: sbc.lab.test
  public_ip: 127.0.0.1
  tls: {cert: /nonexistent/sbc.crt, key: /nonexistent/sbc.key, ca_bundle: /nonexistent/ca.pem}
connections:
  - {name: Teams, profile: teams-generic}
  - {name: Carrier, profile: generic, host: 192.0.2.7, transport: udp}
  - {name: Lab, profile: generic, host: lab.example.net, transport: tcp}
hosts:
  lab.example.net: 198.51.100.20
"""


def config() -> Config:
    return loads(CONFIG, "test.yaml")


def test_configured_peers_by_address_or_certificate_name() -> None:
    gate = SourceGate(config())
    assert gate.configured("192.0.2.7")  # a literal host
    assert gate.configured("198.51.100.20")  # a host map entry
    assert not gate.configured("52.112.0.10")  # allowed (Microsoft's range), not a peer
    gate.update_resolved("Teams1", ["52.112.0.10"])
    assert gate.configured("52.112.0.10")  # now the resolver's answer for Teams1
    assert gate.configured("52.113.1.1", ["sip2.pstnhub.microsoft.com"])
    assert gate.configured("52.113.1.1", ["*.pstnhub.microsoft.com"])
    assert not gate.configured("52.113.1.1", ["teams.example.com"])
    assert not gate.configured("not an address", ["sip.pstnhub.microsoft.com"])


def test_allowlist_answers_are_cached_until_it_changes() -> None:
    gate = SourceGate(config())
    assert gate.allowed("52.112.0.10") and not gate.allowed("203.0.113.5")
    assert not gate.allowed("garbage")
    gate.reconfigure(loads(CONFIG.replace("profile: teams-generic}",
                                        "profile: teams-generic, allowlist: [203.0.113.0/24]}"),
                         "test.yaml"))
    assert gate.allowed("203.0.113.5") and not gate.allowed("52.112.0.10")


def test_engine_drops_datagrams_from_outside_and_counts_them() -> None:
    async def main() -> None:
        gate = SourceGate(config())
        engine = SipEngine(runtime_identity(config()), gate)
        assert engine.admit_datagram(Peer("192.0.2.7", 5060, "udp"), b"garbage")
        options = b"OPTIONS sip:x SIP/2.0\r\n\r\n"
        response = b"SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\n\r\n"
        for data in (options, options, response):
            assert not engine.admit_datagram(Peer("203.0.113.5", 5060, "udp"), data)
        snap = gate.snapshot()
        assert snap["total"] == 3
        assert snap["sources"]["203.0.113.5"]["method"] == "INVITE"  # type: ignore[index]
        assert engine.counters.malformed == 0 and engine.counters.requests_in == 0
        assert engine.reserved_peer(Peer("52.113.1.1", 4000, "tls"),
                                    ("sip.pstnhub.microsoft.com",))
        engine.close()

    asyncio.run(main())
