"""`sbc doctor`'s checks on hand-made facts: one test per finding, with its exact advice.

Each test starts from a healthy box (`helpers.healthy`) and breaks one thing.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sbc.certs.bundle import REQUIRED_ROOTS
from sbc.doctor import Facts, Finding, run_checks
from sbc.doctor.facts import (
    BundleFacts,
    CertCheck,
    CertFacts,
    ClockFacts,
    DnsFacts,
    FirewallFacts,
    MediaFacts,
    RootCert,
    StatusFacts,
)

from .helpers import CONFIG, FQDN, NOW, PUBLIC_IP, config, connection, healthy, ruleset, status_doc

CSR = ("Make a request with `sbc cert csr --fqdn sbc.contoso.de`, have it signed, then "
       "`sbc cert import`.")
MS = "52.112.0.0/14 and 52.120.0.0/14"


def finding(facts: Facts, id: str) -> Finding:
    found = [f for f in run_checks(facts) if f.id == id]
    assert len(found) == 1, [f.id for f in run_checks(facts)]
    return found[0]


def running(**changes: Any) -> Facts:
    return replace(healthy(), status=StatusFacts(True, None, status_doc(**changes)))


def with_conn(name: str, kind: str, **extra: Any) -> Facts:
    doc = status_doc()
    doc["connections"] = [c if c["name"] != name else connection(name, kind, **extra)
                          for c in doc["connections"]]
    return replace(healthy(), status=StatusFacts(True, None, doc))


def test_a_healthy_box_is_all_ok() -> None:
    findings = run_checks(healthy())
    assert [f.level for f in findings] == ["ok"] * len(findings)
    assert [f.id for f in findings][:7] == [
        "config.load", "fqdn.syntax", "fqdn.dns", "cert", "ca.roots", "tls.listener", "service"]


# -- configuration --------------------------------------------------------------------


def test_config_missing() -> None:
    f = finding(Facts("/data/sbc.yaml", None, config_missing=True), "config.load")
    assert (f.level, f.page) == ("fail", "config")
    assert f.message == "There is no configuration at /data/sbc.yaml."
    assert f.action == ("Write it with the console wizard (`firstboot`) or `python3 -m "
                        "sbc.config.seed --from-system`, then run `sbc doctor` again.")


def test_config_with_errors_names_the_first_and_counts_the_rest() -> None:
    errors = ("/data/sbc.yaml:3: sbc.public_ip: not an IPv4 address", "/data/sbc.yaml:9: x: y")
    f = finding(Facts("/data/sbc.yaml", None, config_errors=errors), "config.load")
    assert f.level == "fail"
    assert f.message == ("/data/sbc.yaml does not load: /data/sbc.yaml:3: sbc.public_ip: "
                         "not an IPv4 address (and 1 more).")
    assert f.action == ("Fix what `sbc check --config /data/sbc.yaml` lists, then "
                        "`systemctl reload opensbc`.")


def test_config_placeholders() -> None:
    facts = replace(healthy(), placeholders=(
        "/data/sbc.yaml:10: sbc.fqdn: warning: not configured yet: sbc.example.com is an "
        "example name (RFC 2606)",
        "connections[0].password: 'CHANGE-ME' is the template's placeholder"))
    f = finding(facts, "config.placeholders")
    assert f.level == "warn"
    assert f.message == ("sbc.fqdn, connections.Telekom.password still hold the template's "
                         "values (not configured yet).")
    assert f.action == ("Set each on the web console's SBC page or with "
                        "`sbc config set sbc.fqdn=VALUE` (one KEY=VALUE per setting).")


# -- FQDN -------------------------------------------------------------------------------


def test_fqdn_that_is_an_ip_address() -> None:
    cfg = config()
    facts = replace(healthy(), config=replace(cfg, sbc=replace(cfg.sbc, fqdn="81.200.10.10")))
    f = finding(facts, "fqdn.syntax")
    assert (f.level, f.page) == ("fail", "voip")
    assert "is an IP address" in f.message
    assert f.action == ("Set the SBC's public DNS name with "
                        "`sbc config set sbc.fqdn=sbc.contoso.com`.")


def test_fqdn_without_a_record() -> None:
    facts = replace(healthy(), dns=DnsFacts(FQDN, nxdomain=True, error="NXDOMAIN"))
    f = finding(facts, "fqdn.dns")
    assert f.level == "warn"
    assert f.message == "sbc.contoso.de has no A record."
    assert f.action == ("Create the DNS record sbc.contoso.de A 81.200.10.10 in your public "
                        "zone (Microsoft connects to this name).")


def test_fqdn_resolving_elsewhere() -> None:
    f = finding(replace(healthy(), dns=DnsFacts(FQDN, addresses=("10.0.0.5",))), "fqdn.dns")
    assert f.level == "warn"
    assert f.message == "sbc.contoso.de resolves to 10.0.0.5, not to sbc.public_ip 81.200.10.10."
    assert f.action == ("Point the A record at 81.200.10.10, or correct the address with "
                        "`sbc config set sbc.public_ip=ADDRESS` (split DNS may show an inside "
                        "address here).")


def test_fqdn_lookup_failing() -> None:
    f = finding(replace(healthy(), dns=DnsFacts(FQDN, error="timeout")), "fqdn.dns")
    assert f.level == "warn"
    assert f.message == "Looking up sbc.contoso.de failed: timeout."
    assert f.action == ("Check this box's DNS servers (`nmcli device show`), then run "
                        "`sbc doctor` again.")


def test_fqdn_placeholder_is_not_looked_up() -> None:
    dns = DnsFacts("sbc.example.com", skipped="sbc.example.com is the template's example name")
    f = finding(replace(healthy(), dns=dns), "fqdn.dns")
    assert f.level == "warn"
    assert f.message == "Not looked up: sbc.example.com is the template's example name."
    assert f.action == ("Set the real name with `sbc config set sbc.fqdn=NAME`, then run "
                        "`sbc doctor` again.")


# -- certificate and CA bundle ----------------------------------------------------------


def test_certificate_missing() -> None:
    cert = CertFacts(Path("/data/sbc.crt"), Path("/data/sbc.key"), exists=False)
    f = finding(replace(healthy(), cert=cert), "cert.missing")
    assert (f.level, f.page) == ("fail", "certificates")
    assert f.message == "There is no certificate at /data/sbc.crt."
    assert f.action == CSR


def test_certificate_unreadable() -> None:
    cert = CertFacts(Path("/data/sbc.crt"), Path("/data/sbc.key"), exists=True,
                     error="Permission denied")
    f = finding(replace(healthy(), cert=cert), "cert.unreadable")
    assert f.level == "fail"
    assert f.message == "/data/sbc.crt cannot be checked: Permission denied."
    assert f.action == ("Import it again with `sbc cert import`, or make a request with "
                        "`sbc cert csr --fqdn sbc.contoso.de`, have it signed, then "
                        "`sbc cert import`.")


def test_certificate_failing_a_check_gets_the_assessment_hint() -> None:
    check = CertCheck("eku", "fail", "the certificate's extended key usage lacks Client "
                      "Authentication", "ask the CA for a certificate with both serverAuth "
                      "and clientAuth in the extended key usage")
    cert = replace(healthy().cert, checks=(CertCheck("files", "ok", "readable"), check))
    f = finding(replace(healthy(), cert=cert), "cert.eku")
    assert (f.level, f.title) == ("fail", "Certificate")
    assert f.message == "The certificate's extended key usage lacks Client Authentication."
    assert f.action == ("Ask the CA for a certificate with both serverAuth and clientAuth in "
                        "the extended key usage.")


def test_certificate_files_finding_from_the_assessment_uses_the_csr_advice() -> None:
    check = CertCheck("files", "fail", "no private key yet: /data/sbc.key does not exist",
                      "`sbc cert csr --fqdn sbc.contoso.de`, have it signed, then "
                      "`sbc cert import`")
    f = finding(replace(healthy(), cert=replace(healthy().cert, checks=(check,))), "cert.files")
    assert f.message == "No private key yet: /data/sbc.key does not exist."
    assert f.action == CSR


def test_certificate_expiring_is_a_warning() -> None:
    check = CertCheck("expiry", "warn", "the certificate expires in 12 days", "")
    f = finding(replace(healthy(), cert=replace(healthy().cert, checks=(check,))),
                "cert.expiry")
    assert f.level == "warn"
    assert f.action == "See `sbc cert show` for the details."


def test_ca_bundle_missing() -> None:
    f = finding(replace(healthy(), bundle=BundleFacts(Path("/data/ca.pem"), exists=False)),
                "ca.missing")
    assert f.level == "fail"
    assert f.message == "There is no CA bundle at /data/ca.pem."
    assert f.action == "Build it with `sbc cert bundle`."


def test_ca_bundle_unreadable() -> None:
    bundle = BundleFacts(Path("/data/ca.pem"), exists=True, error="Permission denied")
    f = finding(replace(healthy(), bundle=bundle), "ca.unreadable")
    assert f.message == "/data/ca.pem cannot be read: Permission denied."
    assert f.action == "Build it again with `sbc cert bundle`."


def test_ca_bundle_without_digicert_global_root_g2() -> None:
    roots = tuple(r for r in healthy().bundle.roots  # type: ignore[union-attr]
                  if r.common_name != "DigiCert Global Root G2")
    bundle = BundleFacts(Path("/data/ca.pem"), exists=True, roots=roots)
    f = finding(replace(healthy(), bundle=bundle), "ca.roots")
    assert f.level == "fail"
    assert f.message == ("/data/ca.pem lacks DigiCert Global Root G2, which Microsoft's "
                         "proxies chain to.")
    assert f.action == "Rebuild it with `sbc cert bundle` (it adds the roots the SBC ships)."


def test_ca_bundle_without_the_2026_roots() -> None:
    roots = tuple(RootCert(r.common_name, r.sha256) for r in REQUIRED_ROOTS)
    bundle = BundleFacts(Path("/data/ca.pem"), exists=True, roots=roots)
    f = finding(replace(healthy(), bundle=bundle), "ca.roots")
    assert f.level == "warn"
    assert f.message == ("/data/ca.pem lacks DigiCert Global Root G3, DigiCert TLS RSA4096 "
                         "Root G5, DigiCert TLS ECC P384 Root G5 of Microsoft's 2026 root list.")
    assert f.action == ("Rebuild it with `sbc cert bundle` (Debian's store has them), or add "
                        "each with `sbc cert add-ca FILE`.")


# -- TLS listener -----------------------------------------------------------------------


def test_tls_listener_port_is_what_teams_needs() -> None:
    f = finding(healthy(), "tls.listener")
    assert f.message == ("TLS on port 5061: enter `-SipSignalingPort 5061` in Teams "
                         "(`sbc teams-setup` prints the command).")


def test_no_tls_listener() -> None:
    facts = replace(healthy(), config=config(CONFIG.replace(
        "    - {transport: tls, port: 5061}\n", "")))
    f = finding(facts, "tls.listener")
    assert (f.level, f.page) == ("fail", "voip")
    assert f.message == "There is no TLS listener; Teams connects to the SBC over TLS only."
    assert f.action == ("Add one with `sbc config set sbc.tls_port=5061` (or in the web "
                        "console's VoIP parameters).")


def test_tls_listener_off_in_the_running_sbc() -> None:
    reason = ("waiting for a certificate (`sbc cert csr --fqdn sbc.contoso.de`, have it "
              "signed, then `sbc cert import`)")
    f = finding(running(tls={"active": False, "reason": reason}), "tls.listener")
    assert (f.level, f.page) == ("fail", "certificates")
    assert f.message == f"The TLS listener on port 5061 is off: {reason}."
    assert f.action == ("Fix the certificate findings above; the SBC opens the port after "
                        "`systemctl reload opensbc`.")


# -- the running SBC --------------------------------------------------------------------


def test_sbc_not_running() -> None:
    facts = replace(healthy(), status=StatusFacts(
        False, "the SBC is not running (no /run/opensbc/status.json)"))
    f = finding(facts, "service")
    assert (f.level, f.page) == ("fail", "system")
    assert f.message == "The SBC is not running (no /run/opensbc/status.json)."
    assert f.action == ("Start it with `systemctl start opensbc`; `systemctl status opensbc` "
                        "and `journalctl -u opensbc` say why it stopped.")
    for id in ("teams.options_out", "teams.options_in", "carrier.registration"):
        f = finding(facts, id)
        assert (f.level, f.message) == ("warn", "Not checked: the SBC is not running.")
        assert f.action == ("Start the SBC (see \"SBC service\" above), then run "
                            "`sbc doctor` again.")


def test_no_teams_connection() -> None:
    doc = status_doc()
    doc["connections"] = [c for c in doc["connections"] if c["kind"] != "teams"]
    f = finding(replace(healthy(), status=StatusFacts(True, None, doc)), "teams.connection")
    assert f.level == "fail"
    assert f.message == "There is no Teams connection in the configuration."
    assert f.action == "Add it with `sbc config add connection Teams --profile teams-generic`."


def test_teams_waiting_for_a_certificate() -> None:
    why = ("waiting for a certificate (`sbc cert csr --fqdn sbc.contoso.de`, have it signed, "
           "then `sbc cert import`)")
    f = finding(with_conn("Teams1", "teams", waiting=why, options_out=None),
                "teams.options_out.Teams1")
    assert f.level == "fail"
    assert f.message == f"Teams1 is not started: {why}."
    assert f.action == CSR


def test_teams1_to_3_waiting_for_the_same_reason_are_one_finding() -> None:
    why = "waiting for a certificate"
    doc = status_doc()
    for conn in doc["connections"]:
        if conn["kind"] == "teams":
            conn.update(waiting=why, options_out=None)
    facts = replace(healthy(), status=StatusFacts(True, None, doc))
    f = finding(facts, "teams.options_out.Teams1")
    assert f.title == "OPTIONS to Teams1, Teams2, Teams3"
    assert f.message == "Teams1, Teams2, Teams3 are not started: waiting for a certificate."
    assert f.action == CSR
    assert not [x for x in run_checks(facts) if x.id.startswith("teams.options_out.Teams2")]


def test_connection_waiting_for_values() -> None:
    why = "not configured yet: connections.Telekom.password"
    f = finding(with_conn("Telekom", "carrier", waiting=why, registration=None),
                "carrier.registration.Telekom")
    assert f.level == "fail"
    assert f.message == ("Telekom is not started: not configured yet: "
                         "connections.Telekom.password.")
    assert f.action == ("Set each with `sbc config set connections.Telekom.password=VALUE` "
                        "(one KEY=VALUE per setting).")


def test_options_to_teams_switched_off() -> None:
    f = finding(with_conn("Teams2", "teams", options_out=None), "teams.options_out.Teams2")
    assert f.level == "warn"
    assert f.message == ("OPTIONS to Teams2 are switched off; Microsoft marks an SBC without "
                         "them inactive.")
    assert f.action == "Switch them on with `sbc config set connections.Teams.options=true`."


def test_options_to_teams_refused_with_403() -> None:
    probe = {"state": "down", "code": 403, "reason": "Forbidden", "interval": 60}
    f = finding(with_conn("Teams1", "teams", options_out=probe), "teams.options_out.Teams1")
    assert f.level == "fail"
    assert f.message == "sip.pstnhub.microsoft.com:5061 does not answer OPTIONS: 403 Forbidden."
    assert f.action == ("Make sure the Teams gateway exists with this FQDN (`sbc teams-setup` "
                        "prints the command) and that the FQDN's domain is verified in the "
                        "tenant.")


def test_options_to_teams_without_answer() -> None:
    probe = {"state": "down", "code": None, "error": "TLS handshake failed: certificate "
             "verify failed", "interval": 60}
    f = finding(with_conn("Teams3", "teams", options_out=probe), "teams.options_out.Teams3")
    assert f.level == "fail"
    assert f.message == ("sip3.pstnhub.microsoft.com:5061 does not answer OPTIONS: TLS "
                         "handshake failed: certificate verify failed.")
    assert f.action == ("`sbc tls-check sip3.pstnhub.microsoft.com:5061` shows whether the TLS "
                        "handshake works; `sbc trace start` records the OPTIONS.")


def test_options_to_teams_not_answered_yet() -> None:
    probe = {"state": "unknown", "interval": 60}
    f = finding(with_conn("Teams1", "teams", options_out=probe), "teams.options_out.Teams1")
    assert f.level == "warn"
    assert f.message == "No answer from sip.pstnhub.microsoft.com:5061 yet."
    assert f.action == ("Wait a minute (OPTIONS go out every 60 s), then run `sbc doctor` "
                        "again.")


def _no_options_in(started: float) -> Facts:
    doc = status_doc(started=started)
    for conn in doc["connections"]:
        if conn["kind"] == "teams":
            conn["options_in"] = None
    return replace(healthy(), status=StatusFacts(True, None, doc))


def test_no_options_from_microsoft() -> None:
    f = finding(_no_options_in(NOW - 3600), "teams.options_in")
    assert f.level == "fail"
    assert f.message == "Microsoft has sent no OPTIONS since the SBC started."
    assert f.action == ("Check that the Teams gateway exists with `-SipSignalingPort 5061` "
                        f"(`sbc teams-setup`) and that TCP 5061 is open from {MS}.")


def test_no_options_from_microsoft_right_after_the_start() -> None:
    f = finding(_no_options_in(NOW - 30), "teams.options_in")
    assert f.level == "warn"
    assert f.message == "Not received yet; the SBC started 30 s ago."
    assert f.action == ("Wait until OPTIONS to Teams are answered, then run `sbc doctor` "
                        "again.")


def test_no_options_from_microsoft_while_teams_waits() -> None:
    facts = _no_options_in(NOW - 3600)
    assert facts.status.doc is not None
    for conn in facts.status.doc["connections"]:
        if conn["kind"] == "teams":
            conn["waiting"] = "waiting for a certificate"
    f = finding(facts, "teams.options_in")
    assert f.level == "warn"
    assert f.message == "Not expected yet: the Teams connections are not started."
    assert f.action == "Fix what they wait for (see above), then run `sbc doctor` again."


def test_options_from_microsoft_older_than_3_minutes() -> None:
    doc = status_doc()
    for conn in doc["connections"]:
        if conn["kind"] == "teams":
            conn["options_in"] = {"last_seen": NOW - 600, "count": 3}
    f = finding(replace(healthy(), status=StatusFacts(True, None, doc)), "teams.options_in")
    assert f.level == "fail"
    assert f.message == ("The last OPTIONS from Microsoft came 10 min ago (via Teams3); "
                         "Microsoft demotes an SBC after 3 minutes without them.")
    assert f.action == ("Check that the Teams gateway exists with `-SipSignalingPort 5061` "
                        f"(`sbc teams-setup`) and that TCP 5061 is open from {MS}.")


def test_no_carrier_connection() -> None:
    doc = status_doc()
    doc["connections"] = [c for c in doc["connections"] if c["kind"] == "teams"]
    f = finding(replace(healthy(), status=StatusFacts(True, None, doc)), "carrier.connection")
    assert f.level == "warn"
    assert f.message == "There is no carrier connection in the configuration."
    assert f.action == ("Add the trunk with `sbc config add connection Telekom --profile "
                        "telekom-deutschlandlan line_number=+49... auth_user=... "
                        "password=...`.")


def test_registration_refused() -> None:
    reg = {"state": "failed", "code": 403, "reason": "Forbidden", "aor": "sip:x@y"}
    f = finding(with_conn("Telekom", "carrier", registration=reg),
                "carrier.registration.Telekom")
    assert f.level == "fail"
    assert f.message == "Telekom is not registered: 403 Forbidden."
    assert f.action == ("Check line_number, auth_user and password against the credentials "
                        "letter (`sbc config set connections.Telekom.password=...`).")


def test_registration_without_answer() -> None:
    reg = {"state": "failed", "code": None, "error": "no answer from reg.sip-trunk.telekom.de"}
    f = finding(with_conn("Telekom", "carrier", registration=reg),
                "carrier.registration.Telekom")
    assert f.level == "fail"
    assert f.message == "Telekom is not registered: no answer from reg.sip-trunk.telekom.de."
    assert f.action == ("`sbc status` and `journalctl -u opensbc` show the registrar's "
                        "answers; `sbc trace start` records them.")


def test_registration_pending() -> None:
    f = finding(with_conn("Telekom", "carrier", registration={"state": "pending"}),
                "carrier.registration.Telekom")
    assert f.level == "warn"
    assert f.message == "Telekom: no answer from the registrar yet."
    assert f.action == ("Wait a minute, then run `sbc doctor` again; `sbc status` shows the "
                        "registrar's answer.")


# -- firewall, rtpengine, clock ---------------------------------------------------------


def test_firewall_not_loaded() -> None:
    fw = FirewallFacts(missing=True, error="Error: No such file or directory")
    f = finding(replace(healthy(), firewall=fw), "firewall")
    assert (f.level, f.page) == ("fail", "firewall")
    assert f.message == "The firewall table inet opensbc is not loaded."
    assert f.action == ("Load it with `systemctl restart opensbc-firewall` (rules from "
                        "/data/sbc.yaml).")


def test_firewall_unreadable() -> None:
    fw = FirewallFacts(error="Operation not permitted")
    f = finding(replace(healthy(), firewall=fw), "firewall")
    assert f.message == "The firewall cannot be read: Operation not permitted."
    assert f.action == ("Run `sbc doctor` as root; if nft fails there too, "
                        "`systemctl status opensbc-firewall` says why.")


def _drop_rule(rules: dict[str, Any], proto: str, port: int) -> dict[str, Any]:
    def keep(item: dict[str, Any]) -> bool:
        exprs = item.get("rule", {}).get("expr", [])
        return not any(e.get("match", {}).get("left") == {"payload": {"protocol": proto,
                                                                      "field": "dport"}}
                       and e["match"]["right"] in (port, {"range": [port, 39999]})
                       for e in exprs)
    return {"nftables": [i for i in rules["nftables"] if keep(i)]}


def test_firewall_tls_port_closed() -> None:
    fw = FirewallFacts(ruleset=_drop_rule(ruleset(), "tcp", 5061))
    f = finding(replace(healthy(), firewall=fw), "firewall.tls")
    assert f.level == "fail"
    assert f.message == ("TCP 5061 is closed for 52.112.0.0 (chain policy drop), inside "
                         "Microsoft's ranges.")
    assert f.action == ("Apply the rules from /data/sbc.yaml with `systemctl restart "
                        f"opensbc-firewall`; allow TCP 5061 from {MS} on any firewall in front "
                        "of the box too.")


def test_management_open_to_any_address_is_a_warning() -> None:
    assert finding(healthy(), "firewall.admin").message == (
        "SSH and the web console answer only 192.168.10.0/24.")
    open_config = config(CONFIG.replace("  admin_allowlist: [192.168.10.0/24]\n", ""))
    f = finding(replace(healthy(), config=open_config), "firewall.admin")
    assert (f.level, f.page) == ("warn", "firewall")
    assert f.message == ("SSH and the web console answer any address (sbc.admin_allowlist is "
                         "empty).")
    assert "sbc config set sbc.admin_allowlist=" in f.action


def test_sip_sources_say_which_connection_keeps_them_open() -> None:
    f = finding(healthy(), "firewall.sip_sources")
    assert f.level == "ok" and "Telekom: no allowlist" in f.message
    narrow = config(CONFIG.replace('    password: "s3cret"\n',
                                   '    password: "s3cret"\n    allowlist: [217.0.0.0/13]\n'))
    f = finding(replace(healthy(), config=narrow), "firewall.sip_sources")
    assert f.message == ("The SIP ports admit only the connections' allowlists "
                         "(3 network(s)).")


def test_firewall_media_range_closed() -> None:
    fw = FirewallFacts(ruleset=_drop_rule(ruleset(), "udp", 30000))
    f = finding(replace(healthy(), firewall=fw), "firewall.media")
    assert f.level == "fail"
    assert f.message == ("UDP 30000 (media range 30000-39999) is closed for 52.112.0.0 "
                         "(chain policy drop).")
    assert f.action == ("Apply the rules from /data/sbc.yaml with `systemctl restart "
                        "opensbc-firewall`; allow UDP 30000-39999 on any firewall in front of "
                        "the box too.")


def test_rtpengine_not_answering() -> None:
    media = MediaFacts("127.0.0.1:2223", answered=False, error="rtpengine at 127.0.0.1:2223 "
                       "did not answer 'ping' within 1.0 s (2 tries)", conf_interface=PUBLIC_IP)
    f = finding(replace(healthy(), media=media), "media.rtpengine")
    assert (f.level, f.page) == ("fail", "media")
    assert f.message == ("rtpengine at 127.0.0.1:2223 did not answer 'ping' within 1.0 s "
                         "(2 tries).")
    assert f.action == ("Start it with `systemctl restart opensbc-media`; "
                        "`journalctl -u opensbc-media` says why it stopped.")


def test_rtpengine_config_not_rendered() -> None:
    media = MediaFacts("127.0.0.1:2223", answered=True, conf_error="cannot read "
                       "/run/opensbc-media/rtpengine.conf: No such file or directory")
    f = finding(replace(healthy(), media=media), "media.address")
    assert f.level == "fail"
    assert f.message == ("rtpengine's config is not there: cannot read "
                         "/run/opensbc-media/rtpengine.conf: No such file or directory.")
    assert f.action == "`systemctl restart opensbc-media` writes it from /data/sbc.yaml."


def test_rtpengine_announcing_an_old_address() -> None:
    media = MediaFacts("127.0.0.1:2223", answered=True, conf_interface="192.168.1.5")
    facts = replace(healthy(), media=media, expected_interface=f"192.168.1.5!{PUBLIC_IP}")
    f = finding(facts, "media.address")
    assert f.level == "fail"
    assert f.message == ("rtpengine announces 192.168.1.5 (interface 192.168.1.5), but "
                         "sbc.public_ip/wan_ip say 192.168.1.5!81.200.10.10.")
    assert f.action == ("Restart it with `systemctl restart opensbc-media` to render its "
                        "config from /data/sbc.yaml (then it announces 81.200.10.10).")


def test_clock_not_synchronised() -> None:
    f = finding(replace(healthy(), clock=ClockFacts(False, "timedatectl")), "clock")
    assert (f.level, f.page) == ("warn", "system")
    assert f.message == ("The clock is not synchronised (chrony); certificate checks and "
                         "Microsoft's TLS need the right time.")
    assert f.action == "Check `chronyc sources`: the box needs UDP 123 out to its NTP servers."


def test_clock_unknown() -> None:
    f = finding(replace(healthy(), clock=ClockFacts(None, "", "chronyc is not installed")),
                "clock")
    assert f.level == "warn"
    assert f.message == ("Cannot tell whether the clock is synchronised: chronyc is not "
                         "installed.")
    assert f.action == "Check chrony with `systemctl status chrony` and `chronyc sources`."


# -- order ------------------------------------------------------------------------------


def test_a_fresh_box_running_without_certificate_has_the_certificate_first() -> None:
    why = ("waiting for a certificate (`sbc cert csr --fqdn sbc.contoso.de`, have it signed, "
           "then `sbc cert import`)")
    doc = status_doc(tls={"active": False, "reason": why})
    for conn in doc["connections"]:
        if conn["kind"] == "teams":
            conn.update(waiting=why, options_out=None, options_in=None)
    facts = replace(healthy(), status=StatusFacts(True, None, doc),
                    cert=CertFacts(Path("/data/sbc.crt"), Path("/data/sbc.key"), False),
                    dns=DnsFacts(FQDN, nxdomain=True))
    fails = [f.id for f in run_checks(facts) if f.level == "fail"]
    assert fails[0] == "cert.missing"


# -- media bypass -----------------------------------------------------------------------

BYPASS = CONFIG.replace("    profile: teams-generic\n",
                        "    profile: teams-generic\n    media_bypass: true\n")


def bypassing(text: str = BYPASS, **changes: Any) -> Facts:
    return replace(healthy(), config=config(text), **changes)


def test_no_bypass_findings_while_it_is_off() -> None:
    ids = [f.id for f in run_checks(healthy())]
    assert "media.bypass" not in ids and "firewall.media_bypass" not in ids
    # a lab address is fine without media bypass
    lab = config(CONFIG.replace(PUBLIC_IP, "127.0.0.1"))
    assert "media.bypass" not in [f.id for f in run_checks(replace(healthy(), config=lab))]


def test_bypass_with_a_public_address_is_ok() -> None:
    findings = run_checks(bypassing())
    assert [f.level for f in findings] == ["ok"] * len(findings)
    f = finding(bypassing(), "media.bypass")
    assert (f.level, f.page) == ("ok", "voip")
    assert f.message == ("Media bypass is on: Teams clients send media straight to "
                         f"{PUBLIC_IP} on UDP 30000-39999 (web clients and voice apps still "
                         "through Microsoft's media processors).")
    f = finding(bypassing(), "firewall.media_bypass")
    assert (f.level, f.page) == ("ok", "firewall")
    assert f.message == ("UDP 30000-39999 is open to any address on this box (a firewall or "
                         "NAT in front of it must forward UDP 30000-39999 to it too).")


def test_bypass_behind_1to1_nat_is_ok() -> None:
    nat = BYPASS.replace(f"  public_ip: {PUBLIC_IP}\n",
                         f"  public_ip: {PUBLIC_IP}\n  wan_ip: 192.168.10.5\n")
    assert finding(bypassing(nat), "media.bypass").level == "ok"


@pytest.mark.parametrize(("address", "why"), [
    ("192.168.1.10", "a private address (RFC 1918)"),
    ("10.0.0.5", "a private address (RFC 1918)"),
    ("100.64.12.1", "a carrier-grade NAT address (100.64.0.0/10)"),
    ("127.0.0.1", "a loopback address"),
    ("169.254.0.7", "a link-local address"),
    ("192.0.2.10", "a documentation address (TEST-NET, 192.0.2.0/24)"),
    ("203.0.113.5", "a documentation address (TEST-NET, 203.0.113.0/24)"),
    ("240.0.0.1", "a reserved address"),
])
def test_bypass_needs_a_public_address(address: str, why: str) -> None:
    f = finding(bypassing(BYPASS.replace(PUBLIC_IP, address)), "media.bypass")
    assert (f.level, f.page) == ("fail", "voip")
    assert f.message == ("Media bypass is on: Teams clients send media to sbc.public_ip from "
                         f"anywhere; {address} is {why}, not reachable from the internet.")
    assert f.action == ("Set sbc.public_ip to the public address with `sbc config set "
                        "sbc.public_ip=ADDRESS` (behind 1:1 NAT also sbc.wan_ip to the local "
                        "one), or switch media bypass off: `sbc config set "
                        "connections.Teams.media_bypass=false` and `Set-CsOnlinePSTNGateway "
                        f"-Identity {FQDN} -MediaBypass $false`.")


def _only_from(rules: dict[str, Any], networks: list[str]) -> dict[str, Any]:
    """The RTP rule admitting only `networks` (as if narrowed to Microsoft by hand)."""
    out = []
    for item in rules["nftables"]:
        rule = item.get("rule")
        if rule and rule.get("comment") == "RTP media":
            source = {"match": {"op": "==", "left": {"payload": {"protocol": "ip",
                                                                 "field": "saddr"}},
                                "right": {"set": [{"prefix": {"addr": n.split("/")[0],
                                                              "len": int(n.split("/")[1])}}
                                                  for n in networks]}}}
            item = {"rule": {**rule, "expr": [source, *rule["expr"]]}}
        out.append(item)
    return {"nftables": out}


def test_bypass_media_range_only_open_to_microsoft() -> None:
    fw = FirewallFacts(ruleset=_only_from(ruleset(), ["52.112.0.0/14", "52.120.0.0/14"]))
    assert finding(bypassing(firewall=fw), "firewall.media").level == "ok"  # enough without
    f = finding(bypassing(firewall=fw), "firewall.media_bypass")
    assert (f.level, f.page) == ("fail", "firewall")
    assert f.message == ("Media bypass is on, but UDP 30000 (media range 30000-39999) is "
                         "closed for 1.1.1.1 (chain policy drop); Teams clients send media "
                         "from any address.")
    assert f.action == ("Apply the rules from /data/sbc.yaml with `systemctl restart "
                        "opensbc-firewall` (they open UDP 30000-39999 to any address); allow "
                        f"UDP 30000-39999 from anywhere to {PUBLIC_IP} on any firewall or NAT "
                        "in front of the box too.")
    # without media bypass the same rules are fine
    assert "firewall.media_bypass" not in [f.id for f in run_checks(replace(healthy(),
                                                                          firewall=fw))]


def test_bypass_media_range_closed() -> None:
    fw = FirewallFacts(ruleset=_drop_rule(ruleset(), "udp", 30000))
    f = finding(bypassing(firewall=fw), "firewall.media_bypass")
    assert f.level == "fail" and "closed for 1.1.1.1 (chain policy drop)" in f.message


def test_bypass_without_a_readable_firewall_says_it_once() -> None:
    facts = bypassing(firewall=FirewallFacts(error="nft: permission denied"))
    ids = [f.id for f in run_checks(facts)]
    assert "firewall" in ids and "firewall.media_bypass" not in ids
