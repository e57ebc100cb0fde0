"""A renewed certificate on a box with a call up: the call goes on.

Microsoft asks SBCs to let peers see a new certificate after a renewal, so the SBC
drains its TLS connections: they take no new requests and close once their
transactions end, and the next request opens a new connection that presents the new
certificate. The call must not notice: the carrier's BYE, after the reload, still
reaches Teams1 (over the new connection) and is answered.
"""

from __future__ import annotations

import dataclasses
import shutil
import signal

import pytest
from peers.sbcproc import FQDN

from .lab import CallLab

pytestmark = pytest.mark.peers


def test_renewed_certificate_keeps_the_call(lab: CallLab) -> None:
    authority = lab.pki.authority
    assert authority is not None
    own = lab.workdir / "own-pki"
    own.mkdir()
    cert, key = own / "sbc.crt", own / "sbc.key"
    shutil.copy(lab.pki.sbc_cert, cert)
    shutil.copy(lab.pki.sbc_key, key)
    lab.pki = dataclasses.replace(lab.pki, sbc_cert=cert, sbc_key=key)

    registrar = lab.registrar()
    sbc = lab.start(teams_listening=(1,))
    lab.wait_registered()
    teams = lab.teams_uas(1, "teams_answer.xml", timeout=30)
    carrier = lab.carrier_uac("carrier_call.xml", hold_ms=6000, timeout=30)
    lab.wait_for(lambda: sbc.status()["calls"]["counters"].get("answered") == 1,
                 "the call to be answered", timeout=10)
    before = sbc.status()["certificate"]["not_after"]
    shaken = len([h for h in lab.teams[1].relay.handshakes if h.direction == "in"])  # type: ignore[union-attr]

    renewed = authority.issue(FQDN, days=200)
    authority.write(own, renewed, stem="sbc")
    sbc.signal(signal.SIGHUP)
    lab.wait_for(lambda: "close once their transactions end" in sbc.output(),
                 "the reload with the new certificate")
    lab.wait_for(lambda: sbc.status()["certificate"]["not_after"] != before,
                 "the new certificate in the status")

    lab.check(carrier, teams, registrar)  # the BYE after the reload was answered
    assert carrier.one(200, "BYE") and teams.one("BYE")
    relay = lab.teams[1].relay
    assert relay is not None
    again = [h for h in relay.handshakes if h.direction == "in"][shaken:]
    assert again and all(h.ok for h in again), relay.handshakes  # a new connection
    counters = sbc.status()["calls"]["counters"]
    assert counters.get("answered") == 1 and not counters.get("failed"), counters
