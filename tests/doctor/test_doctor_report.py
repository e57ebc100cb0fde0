"""The report: tags, the indented advice, the next step, the JSON shape."""

from __future__ import annotations

import pytest
from sbc.doctor import Finding, as_json, as_text, next_step
from sbc.doctor.finding import fail, ok, warn

FINDINGS = [
    ok("config.load", "Configuration", "/data/sbc.yaml loads.", "config"),
    warn("fqdn.dns", "FQDN in DNS", "sbc.contoso.de has no A record.",
         "Create the DNS record.", "voip"),
    fail("cert.missing", "Certificate", "There is no certificate at /data/sbc.crt.",
         "Make a request.", "certificates"),
]


def test_text_has_one_line_per_finding_and_the_advice_indented() -> None:
    assert as_text(FINDINGS).splitlines() == [
        "[ ok ] Configuration: /data/sbc.yaml loads.",
        "[warn] FQDN in DNS: sbc.contoso.de has no A record.",
        "       Create the DNS record.",
        "[FAIL] Certificate: There is no certificate at /data/sbc.crt.",
        "       Make a request.",
        "",
        "1 ok, 1 warning(s), 1 failure(s)",
        "Next step: Certificate: Make a request.",
    ]


def test_the_next_step_is_the_first_failure_else_the_first_warning() -> None:
    assert next_step(FINDINGS) is FINDINGS[2]
    assert next_step(FINDINGS[:2]) is FINDINGS[1]
    assert next_step(FINDINGS[:1]) is None
    assert as_text(FINDINGS[:1]).splitlines()[-1] == (
        "Next step: none; the SBC is ready. Make a test call.")


def test_json_shape() -> None:
    report = as_json(FINDINGS)
    assert report["summary"] == {"ok": 1, "warn": 1, "fail": 1}
    assert report["next"] == {"id": "cert.missing", "level": "fail", "title": "Certificate",
                              "message": "There is no certificate at /data/sbc.crt.",
                              "action": "Make a request.", "page": "certificates"}
    assert [f["id"] for f in report["findings"]] == ["config.load", "fqdn.dns", "cert.missing"]
    assert as_json([])["next"] is None


def test_a_finding_needs_advice_unless_ok_and_a_known_page() -> None:
    with pytest.raises(ValueError, match="needs an action"):
        Finding("x", "fail", "X", "broken.", "", "config")
    with pytest.raises(ValueError, match="unknown page"):
        Finding("x", "ok", "X", "fine.", "", "nowhere")
