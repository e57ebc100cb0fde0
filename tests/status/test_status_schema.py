"""status.json's schema (`sbc.status.schema`): what fits, and what the words say when a
document does not. Every status the SBC tests read is checked too (tests/peers/sbcproc)."""

from __future__ import annotations

import copy
from typing import Any

from sbc.status.schema import VERSION, problems

GOOD: dict[str, Any] = {
    "version": VERSION, "product": "OpenSBC 1.0", "pid": 42, "started": 1.5, "updated": 2,
    "config": {"path": "/data/sbc.yaml", "last_reload": None},
    "sbc": {"fqdn": "sbc.example.com", "listening": [["tls", "0.0.0.0", 5061]]},
    "certificate": {"path": "/data/tls/sbc.pem"}, "acme": None,
    "tls": {"active": True, "reason": None},
    "connections": [{
        "name": "Teams1", "waiting": None, "kind": "teams", "transport": "tls",
        "host": "sip.pstnhub.microsoft.com", "target": "tls sip.pstnhub.microsoft.com",
        "registration": None, "options_out": {"state": "up"}, "options_in": None,
        "certificate": None, "extra": "a newer SBC may add keys",
    }],
    "calls": {}, "dropped": {}, "engine": {},
    "transport": {"stats": {}, "connections": []},
    "trace": {"active": False, "path": None, "messages": 0, "configured_path": "/data/trace"},
}


def test_a_good_status_fits() -> None:
    assert problems(GOOD) == []


def test_what_does_not_fit_is_named_by_its_path() -> None:
    doc = copy.deepcopy(GOOD)
    doc["connections"][0]["kind"] = 7
    doc["tls"]["active"] = "yes"
    del doc["trace"]["messages"]
    doc["pid"] = True  # a bool is not a pid
    assert problems(doc) == [
        "pid: expected int, got bool",
        "tls.active: expected bool, got str",
        "connections[0].kind: expected str, got int",
        "trace.messages: missing",
    ]


def test_another_version_or_not_an_object() -> None:
    assert problems({**GOOD, "version": 2}) == ["version: expected 1, got 2"]
    assert problems([]) == ["status: expected an object, got list"]
    assert problems({**GOOD, "acme": 3}) == ["acme: expected dict or null, got int"]
