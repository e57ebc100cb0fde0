"""A healthy box as hand-made facts; each test breaks one part of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sbc.certs.bundle import REQUIRED_ROOTS
from sbc.config import Config, loads
from sbc.doctor.checks import ROOTS_2026
from sbc.doctor.facts import (
    BundleFacts,
    CertCheck,
    CertFacts,
    ClockFacts,
    DnsFacts,
    Facts,
    FirewallFacts,
    MediaFacts,
    RootCert,
    StatusFacts,
)

DATA = Path(__file__).parent / "data"
NOW = 1_800_000_000.0
FQDN = "sbc.contoso.de"
PUBLIC_IP = "81.200.10.10"

CONFIG = f"""
sbc:
  fqdn: {FQDN}
  public_ip: {PUBLIC_IP}
  listen:
    - {{transport: udp, port: 5060}}
    - {{transport: tcp, port: 5060}}
    - {{transport: tls, port: 5061}}
  admin_allowlist: [192.168.10.0/24]
  tls:
    cert: /data/sbc.crt
    key: /data/sbc.key
    ca_bundle: /data/ca.pem
connections:
  - name: Telekom
    profile: telekom-deutschlandlan
    line_number: "+49301234567"
    auth_user: "551234567890"
    password: "s3cret"
  - name: Teams
    profile: teams-generic
"""


def config(text: str = CONFIG) -> Config:
    return loads(text, "/data/sbc.yaml")


def connection(name: str, kind: str, **extra: Any) -> dict[str, Any]:
    host = {"Teams1": "sip.pstnhub.microsoft.com", "Teams2": "sip2.pstnhub.microsoft.com",
            "Teams3": "sip3.pstnhub.microsoft.com"}.get(name, "reg.sip-trunk.telekom.de")
    doc: dict[str, Any] = {
        "name": name, "kind": kind, "transport": "tls" if kind == "teams" else "tcp",
        "host": host, "waiting": None, "registration": None,
        "options_out": {"state": "up", "code": 200, "reason": "OK", "rtt_ms": 41.0,
                        "interval": 60},
        "options_in": None,
    }
    if kind == "teams":
        doc["options_in"] = {"last_seen": NOW - 20, "count": 5, "source": "52.112.0.10:4321",
                             "transport": "tls"}
    else:
        doc["registration"] = {"state": "registered", "aor": "sip:+49301234567@sip-trunk."
                               "telekom.de", "code": 200, "reason": "OK", "error": None}
    doc.update(extra)
    return doc


def status_doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "pid": 4242, "started": NOW - 3600, "updated": NOW - 1,
        "sbc": {"fqdn": FQDN}, "tls": {"active": True, "reason": None},
        "connections": [connection("Telekom", "carrier"), connection("Teams1", "teams"),
                        connection("Teams2", "teams"), connection("Teams3", "teams")],
    }
    doc.update(changes)
    return doc


def ruleset() -> dict[str, Any]:
    """`nft -j list table inet opensbc` of the rules rendered from examples/appliance.yaml."""
    data: dict[str, Any] = json.loads((DATA / "nft-appliance.json").read_text())
    return data


def healthy() -> Facts:
    cfg = config()
    roots = [RootCert(r.common_name, r.sha256) for r in REQUIRED_ROOTS]
    roots += [RootCert(name, f"00:{i}") for i, name in enumerate(ROOTS_2026)]
    return Facts(
        config_path="/data/sbc.yaml",
        config=cfg,
        status=StatusFacts(True, None, status_doc()),
        cert=CertFacts(Path("/data/sbc.crt"), Path("/data/sbc.key"), exists=True,
                       checks=(CertCheck("files", "ok", "readable"),
                               CertCheck("eku", "ok", "serverAuth and clientAuth")),
                       subject="CN=sbc.contoso.de", not_after="2027-06-01", days_left=177),
        bundle=BundleFacts(Path("/data/ca.pem"), exists=True, roots=tuple(roots)),
        dns=DnsFacts(FQDN, addresses=(PUBLIC_IP,)),
        firewall=FirewallFacts(ruleset=ruleset()),
        media=MediaFacts("127.0.0.1:2223", answered=True, conf_interface=PUBLIC_IP),
        expected_interface=PUBLIC_IP,
        clock=ClockFacts(True, "timedatectl"),
        now=NOW,
    )
