"""From facts to findings, in the order the walkthrough (docs/walkthrough.md) sets a box up.

Pure functions: no files, no clock, no network. The order matters, because the report's
"Next step" is the first failure: the configuration, the FQDN, the certificate and the CA
bundle, the TLS port for Teams, then what the running SBC reports (OPTIONS both ways,
the carrier's registration), then the firewall, rtpengine and the clock. The SBC runs
without a certificate (its TLS side waits), so on a fresh box the certificate comes
before anything the running SBC can say.
"""

from __future__ import annotations

from ..certs import CertError
from ..certs.bundle import REQUIRED_ROOTS
from ..certs.names import validate_fqdn
from .facts import Facts
from .finding import Finding, fail, ok, warn
from .live import live_findings
from .names import setting_names

# The 2026 wave of roots Microsoft's proxies may chain to, beyond the ones the package
# ships (field-2026.md: telcobridges, maxime.hiez.ca). Missing ones are a warning.
ROOTS_2026 = (
    "DigiCert Global Root G3",
    "DigiCert TLS RSA4096 Root G5",
    "DigiCert TLS ECC P384 Root G5",
)


def csr_advice(fqdn: str) -> str:
    return (f"Make a request with `sbc cert csr --fqdn {fqdn}`, have it signed, then "
            "`sbc cert import`.")


def config_findings(facts: Facts) -> list[Finding]:
    path = facts.config_path
    title = "Configuration"
    if facts.config is None:
        if facts.config_missing:
            return [fail("config.load", title, f"There is no configuration at {path}.",
                         "Write it with the console wizard (`firstboot`) or "
                         "`python3 -m sbc.config.seed --from-system`, then run `sbc doctor` "
                         "again.", "config")]
        count = len(facts.config_errors)
        first = facts.config_errors[0] if facts.config_errors else "it does not load"
        more = f" (and {count - 1} more)" if count > 1 else ""
        return [fail("config.load", title, f"{path} does not load: {first}{more}.",
                     f"Fix what `sbc check --config {path}` lists, then "
                     "`systemctl reload opensbc`.", "config")]
    out = [ok("config.load", title,
              f"{path} loads with {len(facts.config.connections)} connection(s).", "config")]
    if facts.placeholders:
        fields = [setting_names(facts.config, f) for f in _fields(facts.placeholders)]
        out.append(warn("config.placeholders", "Placeholders",
                        f"{', '.join(fields)} still hold the template's values "
                        "(not configured yet).",
                        f"Set each on the web console's SBC page or with `sbc config set "
                        f"{fields[0]}=VALUE` (one KEY=VALUE per setting).", "config"))
    return out


def _fields(placeholders: tuple[str, ...]) -> list[str]:
    """Field paths out of `file:line: field: warning: message` or `field: why` lines."""
    names = []
    for text in placeholders:
        parts = text.split(": ")
        if "warning" in parts:
            at = parts.index("warning")
            names.append(parts[at - 1] if at >= 1 else text)
        else:
            names.append(parts[0])
    return list(dict.fromkeys(names))


def fqdn_findings(facts: Facts) -> list[Finding]:
    assert facts.config is not None
    sbc = facts.config.sbc
    try:
        validate_fqdn(sbc.fqdn)
    except CertError as exc:
        return [fail("fqdn.syntax", "SBC FQDN", f"sbc.fqdn: {exc}.",
                     "Set the SBC's public DNS name with "
                     "`sbc config set sbc.fqdn=sbc.contoso.com`.", "voip")]
    out = [ok("fqdn.syntax", "SBC FQDN", f"{sbc.fqdn} is a valid FQDN.", "voip")]
    dns, public = facts.dns, str(sbc.public_ip)
    title = "FQDN in DNS"
    if dns is None or dns.skipped:
        why = dns.skipped if dns and dns.skipped else "no lookup was made"
        out.append(warn("fqdn.dns", title, f"Not looked up: {why}.",
                        "Set the real name with `sbc config set sbc.fqdn=NAME`, then run "
                        "`sbc doctor` again.", "voip"))
    elif dns.nxdomain or (not dns.addresses and dns.error is None):
        out.append(warn("fqdn.dns", title, f"{sbc.fqdn} has no A record.",
                        f"Create the DNS record {sbc.fqdn} A {public} in your public zone "
                        "(Microsoft connects to this name).", "voip"))
    elif dns.error is not None:
        out.append(warn("fqdn.dns", title, f"Looking up {sbc.fqdn} failed: {dns.error}.",
                        "Check this box's DNS servers (`nmcli device show`), then run "
                        "`sbc doctor` again.", "voip"))
    elif public not in dns.addresses:
        found = ", ".join(dns.addresses)
        out.append(warn("fqdn.dns", title,
                        f"{sbc.fqdn} resolves to {found}, not to sbc.public_ip {public}.",
                        f"Point the A record at {public}, or correct the address with "
                        "`sbc config set sbc.public_ip=ADDRESS` (split DNS may show an "
                        "inside address here).", "voip"))
    else:
        out.append(ok("fqdn.dns", title, f"{sbc.fqdn} resolves to {public}.", "voip"))
    return out


def cert_findings(facts: Facts) -> list[Finding]:
    assert facts.config is not None
    fqdn, cert = facts.config.sbc.fqdn, facts.cert
    title = "Certificate"
    if cert is None or not cert.exists:
        path = cert.cert if cert else facts.config.sbc.tls.cert
        return [fail("cert.missing", title, f"There is no certificate at {path}.",
                     csr_advice(fqdn), "certificates")]
    if cert.error is not None:
        return [fail("cert.unreadable", title, f"{cert.cert} cannot be checked: {cert.error}.",
                     f"Import it again with `sbc cert import`, or {_lower(csr_advice(fqdn))}",
                     "certificates")]
    problems = [c for c in cert.checks if c.level != "ok"]
    out = []
    for check in problems:
        if check.hint and check.hint.startswith("`sbc cert csr"):
            action = "Make a request with " + _sentence(check.hint)
        elif check.hint:
            action = _sentence(check.hint)
        else:
            action = "See `sbc cert show` for the details."
        make = fail if check.level == "fail" else warn
        out.append(make(f"cert.{check.check}", title, _sentence(check.message), action,
                        "certificates"))
    if not problems:
        days = f", {cert.days_left} days left" if cert.days_left is not None else ""
        until = f"; valid until {cert.not_after}{days}" if cert.not_after else ""
        subject = f" for {cert.subject}" if cert.subject else ""
        out.append(ok("cert", title, f"{cert.cert}{subject} passes every check{until}.",
                      "certificates"))
    return out


def acme_findings(facts: Facts) -> list[Finding]:
    """Automatic renewal: a failed or refused last attempt is a warning with the CA's words
    (the old certificate is still in use); nothing when ACME is not configured."""
    acme = facts.acme
    if acme is None:
        return []
    title = "Certificate renewal (ACME)"
    when = (acme.last_attempt or "")[:16].replace("T", " ")
    if acme.last_result in ("failed", "rejected"):
        said = f" The CA said: {acme.ca_error}." if acme.ca_error else ""
        retry = f" Next try after {acme.next_try[:16].replace('T', ' ')} UTC." if (
            acme.next_try) else ""
        return [warn("cert.acme", title,
                     f"The last renewal ({when} UTC, {acme.failures} failure(s) in a row) "
                     f"{acme.last_result}: {_unsentence(acme.message)}.{said}{retry}",
                     "See `sbc cert acme status`; after fixing the cause, "
                     "`sbc cert acme renew --force`.", "certificates")]
    if acme.due:
        return [warn("cert.acme", title, f"Renewal is due and has not run yet ({acme.directory}).",
                     "Run `sbc cert acme renew`, or wait for opensbc-acme.timer "
                     "(twice a day).", "certificates")]
    on = f" on {acme.renew_on[:10]}" if acme.renew_on else ""
    return [ok("cert.acme", title, f"Renews automatically{on} from {acme.directory}.",
               "certificates")]


def bundle_findings(facts: Facts) -> list[Finding]:
    assert facts.config is not None
    bundle = facts.bundle
    title = "CA bundle"
    path = bundle.path if bundle else facts.config.sbc.tls.ca_bundle
    if bundle is None or not bundle.exists:
        return [fail("ca.missing", title, f"There is no CA bundle at {path}.",
                     "Build it with `sbc cert bundle`.", "certificates")]
    if bundle.error is not None:
        return [fail("ca.unreadable", title, f"{path} cannot be read: {bundle.error}.",
                     "Build it again with `sbc cert bundle`.", "certificates")]
    have = {r.sha256 for r in bundle.roots}
    names = {r.common_name for r in bundle.roots}
    lacking = [r.common_name for r in REQUIRED_ROOTS if r.sha256 not in have]
    if lacking:
        return [fail("ca.roots", title,
                     f"{path} lacks {', '.join(lacking)}, which Microsoft's proxies chain to.",
                     "Rebuild it with `sbc cert bundle` (it adds the roots the SBC ships).",
                     "certificates")]
    shipped = {r.common_name for r in REQUIRED_ROOTS}
    later = [n for n in ROOTS_2026 if n not in names and n not in shipped]
    if later:
        return [warn("ca.roots", title,
                     f"{path} lacks {', '.join(later)} of Microsoft's 2026 root list.",
                     "Rebuild it with `sbc cert bundle` (Debian's store has them), or add "
                     "each with `sbc cert add-ca FILE`.", "certificates")]
    return [ok("ca.roots", title,
               f"{path} holds the roots Microsoft's proxies chain to "
               f"({len(bundle.roots)} roots).", "certificates")]


def tls_findings(facts: Facts) -> list[Finding]:
    assert facts.config is not None
    listener = facts.config.sbc.listener("tls")
    title = "TLS listener"
    if listener is None:
        return [fail("tls.listener", title,
                     "There is no TLS listener; Teams connects to the SBC over TLS only.",
                     "Add one with `sbc config set sbc.tls_port=5061` (or in the web "
                     "console's VoIP parameters).", "voip")]
    port = listener.port
    doc = facts.status.doc if facts.status.running else None
    tls = (doc or {}).get("tls") if doc else None
    if isinstance(tls, dict) and tls.get("active") is False:
        reason = str(tls.get("reason") or "no reason given")
        return [fail("tls.listener", title,
                     f"The TLS listener on port {port} is off: {_unsentence(reason)}.",
                     "Fix the certificate findings above; the SBC opens the port after "
                     "`systemctl reload opensbc`.", "certificates")]
    return [ok("tls.listener", title,
               f"TLS on port {port}: enter `-SipSignalingPort {port}` in Teams "
               "(`sbc teams-setup` prints the command).", "voip")]


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _unsentence(text: str) -> str:
    return text.strip().rstrip(".")


def _lower(text: str) -> str:
    return text[0].lower() + text[1:] if text else text


def run_checks(facts: Facts) -> list[Finding]:
    """Every finding, in walkthrough order."""
    out = config_findings(facts)
    if facts.config is not None:
        out += fqdn_findings(facts)
        out += cert_findings(facts)
        out += acme_findings(facts)
        out += bundle_findings(facts)
        out += tls_findings(facts)
    out += live_findings(facts)
    return out
