"""Findings about the running system: the SBC service, OPTIONS both ways, the carrier's
registration, the firewall, rtpengine (and media bypass, `bypass`) and the clock. Pure,
like `checks`.

Microsoft treats an SBC as healthy only if its OPTIONS arrived in the last 3 minutes
(MS-MON), and shows it as "Inactive" otherwise while calls may still work; so the
OPTIONS from Microsoft get their own line with their age.
"""

from __future__ import annotations

from typing import Any

from ..config import Config, Connection
from ..config.loader import TEAMS_NETWORKS
from . import bypass
from .access import access_findings
from .facts import Facts
from .finding import Finding, fail, ok, warn
from .names import entry_setting, setting_names
from .nftables import Probe, decide, probes_for

DEMOTED_AFTER = 180.0  # seconds without OPTIONS from Microsoft (MS-MON)
MS_RANGES = tuple(str(n) for n in TEAMS_NETWORKS)
RELOAD = "then `systemctl reload opensbc`."
NOT_CONFIGURED = "not configured yet"


def _conns(doc: dict[str, Any], teams: bool) -> list[dict[str, Any]]:
    items = doc.get("connections")
    return [c for c in items if isinstance(c, dict) and (c.get("kind") == "teams") == teams] \
        if isinstance(items, list) else []


def _entry(config: Config | None, name: str) -> Connection | None:
    if config is None:
        return None
    try:
        return config.connection(name)
    except KeyError:
        return None


def _age(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def waiting_finding(id: str, title: str, name: str, why: str, config: Config | None) -> Finding:
    """A connection the SBC does not start yet, with what it waits for."""
    why = setting_names(config, why.rstrip("."))
    fqdn = config.sbc.fqdn if config else "FQDN"
    if "certificate" in why:
        action = (f"Make a request with `sbc cert csr --fqdn {fqdn}`, have it signed, then "
                  "`sbc cert import`.")
    elif NOT_CONFIGURED in why:
        first = why.partition(NOT_CONFIGURED)[2].strip(" :").split(",")[0].strip()
        action = (f"Set each with `sbc config set {first or 'KEY'}=VALUE` (one KEY=VALUE per "
                  "setting).")
    else:
        action = f"Fix what it waits for, {RELOAD}"
    verb = "are" if "," in name else "is"
    return fail(id, title, f"{name} {verb} not started: {why}.", action, "connections")


def service_findings(facts: Facts) -> list[Finding]:
    status = facts.status
    if status.running and status.doc is not None:
        pid = status.doc.get("pid")
        return [ok("service", "SBC service", f"The SBC is running (pid {pid}).", "system")]
    problem = (status.problem or "the SBC is not running").rstrip(".")
    return [fail("service", "SBC service", problem[0].upper() + problem[1:] + ".",
                 "Start it with `systemctl start opensbc`; `systemctl status opensbc` and "
                 "`journalctl -u opensbc` say why it stopped.", "system")]


def _not_running(id: str, title: str) -> Finding:
    return warn(id, title, "Not checked: the SBC is not running.",
                "Start the SBC (see \"SBC service\" above), then run `sbc doctor` again.",
                "connections")


def options_out_findings(facts: Facts, doc: dict[str, Any]) -> list[Finding]:
    config = facts.config
    teams = _conns(doc, teams=True)
    if not teams:
        return [fail("teams.connection", "Teams connection",
                     "There is no Teams connection in the configuration.",
                     "Add it with `sbc config add connection Teams --profile teams-generic`.",
                     "connections")]
    out = []
    waiting: dict[str, list[str]] = {}  # one finding per reason: Teams1-3 wait together
    for conn in teams:
        if conn.get("waiting"):
            waiting.setdefault(str(conn["waiting"]), []).append(str(conn.get("name")))
    for why, names in waiting.items():
        id, title = f"teams.options_out.{names[0]}", f"OPTIONS to {', '.join(names)}"
        out.append(waiting_finding(id, title, ", ".join(names), why, config))
    for conn in teams:
        name = str(conn.get("name"))
        id, title = f"teams.options_out.{name}", f"OPTIONS to {name}"
        entry = _entry(config, name)
        host = f"{conn.get('host')}:{entry.port or 5061 if entry else 5061}"
        probe = conn.get("options_out")
        if conn.get("waiting"):
            continue
        if not isinstance(probe, dict):
            out.append(warn(id, title, f"OPTIONS to {name} are switched off; Microsoft marks "
                            "an SBC without them inactive.",
                            "Switch them on with "
                            f"`sbc config set {entry_setting(config, name)}.options=true`.",
                            "connections"))
        elif probe.get("state") == "up":
            rtt = probe.get("rtt_ms")
            took = f" in {rtt:g} ms" if isinstance(rtt, int | float) else ""
            out.append(ok(id, title, f"{host} answers {probe.get('code')} "
                          f"{probe.get('reason') or ''}".rstrip() + f"{took}.", "connections"))
        elif probe.get("state") == "down":
            out.append(_options_down(id, title, host, probe))
        else:
            out.append(warn(id, title, f"No answer from {host} yet.",
                            "Wait a minute (OPTIONS go out every "
                            f"{probe.get('interval') or 60:g} s), then run `sbc doctor` again.",
                            "connections"))
    return out


def _options_down(id: str, title: str, host: str, probe: dict[str, Any]) -> Finding:
    code, error = probe.get("code"), probe.get("error")
    said = f"{code} {probe.get('reason') or ''}".rstrip() if code else str(error or "no answer")
    message = f"{host} does not answer OPTIONS: {said.rstrip('.')}."
    if code == 403:
        action = ("Make sure the Teams gateway exists with this FQDN (`sbc teams-setup` "
                  "prints the command) and that the FQDN's domain is verified in the tenant.")
    else:
        action = (f"`sbc tls-check {host}` shows whether the TLS handshake works; "
                  "`sbc trace start` records the OPTIONS.")
    return fail(id, title, message, action, "connections")


def options_in_findings(facts: Facts, doc: dict[str, Any]) -> list[Finding]:
    teams = _conns(doc, teams=True)
    if not teams:
        return []
    config = facts.config
    listener = config.sbc.listener("tls") if config else None
    port = listener.port if listener else 5061
    id, title = "teams.options_in", "OPTIONS from Microsoft"
    seen = [(c["options_in"]["last_seen"], str(c.get("name"))) for c in teams
            if isinstance(c.get("options_in"), dict)
            and isinstance(c["options_in"].get("last_seen"), int | float)]
    action = (f"Check that the Teams gateway exists with `-SipSignalingPort {port}` "
              f"(`sbc teams-setup`) and that TCP {port} is open from "
              f"{' and '.join(MS_RANGES)}.")
    if not seen and all(c.get("waiting") for c in teams):
        return [warn(id, title, "Not expected yet: the Teams connections are not started.",
                     "Fix what they wait for (see above), then run `sbc doctor` again.",
                     "connections")]
    if not seen:
        started = doc.get("started")
        if isinstance(started, int | float) and facts.now - started < DEMOTED_AFTER:
            return [warn(id, title, "Not received yet; the SBC started "
                         f"{_age(facts.now - started)} ago.",
                         "Wait until OPTIONS to Teams are answered, then run `sbc doctor` "
                         "again.", "connections")]
        return [fail(id, title, "Microsoft has sent no OPTIONS since the SBC started.",
                     action, "connections")]
    last, name = max(seen)
    age = max(0.0, facts.now - last)
    if age > DEMOTED_AFTER:
        return [fail(id, title, f"The last OPTIONS from Microsoft came {_age(age)} ago "
                     "(via {name}); Microsoft demotes an SBC after 3 minutes without them."
                     .replace("{name}", name), action, "connections")]
    return [ok(id, title, f"The last OPTIONS from Microsoft came {_age(age)} ago "
               f"(via {name}).", "connections")]


def registration_findings(facts: Facts, doc: dict[str, Any]) -> list[Finding]:
    config = facts.config
    carriers = _conns(doc, teams=False)
    if not carriers:
        return [warn("carrier.connection", "Carrier connection",
                     "There is no carrier connection in the configuration.",
                     "Add the trunk with `sbc config add connection Telekom --profile "
                     "telekom-deutschlandlan line_number=+49... auth_user=... password=...`.",
                     "connections")]
    out = []
    for conn in carriers:
        name = str(conn.get("name"))
        id, title = f"carrier.registration.{name}", f"Registration {name}"
        reg = conn.get("registration")
        if conn.get("waiting"):
            out.append(waiting_finding(id, title, name, str(conn["waiting"]), config))
        elif not isinstance(reg, dict):
            continue  # a trunk that does not register: OPTIONS tell its health
        elif reg.get("state") == "registered":
            out.append(ok(id, title, f"{name} is registered as {reg.get('aor')}.",
                          "connections"))
        elif reg.get("state") == "failed":
            code = reg.get("code")
            said = (f"{code} {reg.get('reason') or ''}".rstrip() if code
                    else str(reg.get("error") or "no answer"))
            if code in (401, 403, 407):
                action = ("Check line_number, auth_user and password against the credentials "
                          f"letter (`sbc config set {entry_setting(config, name)}.password=...`).")
            else:
                action = ("`sbc status` and `journalctl -u opensbc` show the registrar's "
                          "answers; `sbc trace start` records them.")
            out.append(fail(id, title, f"{name} is not registered: {said.rstrip('.')}.",
                            action, "connections"))
        else:
            out.append(warn(id, title, f"{name}: no answer from the registrar yet.",
                            "Wait a minute, then run `sbc doctor` again; `sbc status` shows "
                            "the registrar's answer.", "connections"))
    return out


def firewall_findings(facts: Facts) -> list[Finding]:
    config, fw = facts.config, facts.firewall
    if config is None or fw is None:
        return []
    if fw.ruleset is None:
        if fw.missing:
            return [fail("firewall", "Firewall", "The firewall table inet opensbc is not loaded.",
                         "Load it with `systemctl restart opensbc-firewall` (rules from "
                         "/data/sbc.yaml).", "firewall")]
        return [fail("firewall", "Firewall",
                     f"The firewall cannot be read: {(fw.error or 'no answer').rstrip('.')}.",
                     "Run `sbc doctor` as root; if nft fails there too, `systemctl status "
                     "opensbc-firewall` says why.", "firewall")]
    out = []
    listener = config.sbc.listener("tls")
    if listener is not None:
        port = listener.port
        closed = [(a, v) for a in probes_for(MS_RANGES)
                  if not (v := decide(fw.ruleset, Probe(a, "tcp", port))).accepted]
        title = "Firewall: SIP TLS"
        if closed:
            address, verdict = closed[0]
            out.append(fail("firewall.tls", title,
                            f"TCP {port} is closed for {address} ({verdict.why}), inside "
                            "Microsoft's ranges.",
                            "Apply the rules from /data/sbc.yaml with `systemctl restart "
                            f"opensbc-firewall`; allow TCP {port} from {' and '.join(MS_RANGES)} "
                            "on any firewall in front of the box too.", "firewall"))
        else:
            out.append(ok("firewall.tls", title,
                          f"TCP {port} is open from {' and '.join(MS_RANGES)} on this box.",
                          "firewall"))
    low, high = config.media.port_min, config.media.port_max
    closed_media = [(a, p, v) for a in probes_for(MS_RANGES) for p in (low, high)
                    if not (v := decide(fw.ruleset, Probe(a, "udp", p))).accepted]
    title = "Firewall: media"
    if closed_media:
        address, port, verdict = closed_media[0]
        out.append(fail("firewall.media", title,
                        f"UDP {port} (media range {low}-{high}) is closed for {address} "
                        f"({verdict.why}).",
                        "Apply the rules from /data/sbc.yaml with `systemctl restart "
                        f"opensbc-firewall`; allow UDP {low}-{high} on any firewall in front "
                        "of the box too.", "firewall"))
    else:
        out.append(ok("firewall.media", title, f"UDP {low}-{high} is open on this box.",
                      "firewall"))
    return out


def media_findings(facts: Facts) -> list[Finding]:
    media = facts.media
    if facts.config is None or media is None:
        return []
    restart = "`systemctl restart opensbc-media`"
    if not media.answered:
        said = media.error or f"rtpengine at {media.address} does not answer"
        out = [fail("media.rtpengine", "rtpengine", f"{said.rstrip('.')}.",
                    f"Start it with {restart}; `journalctl -u opensbc-media` says why it "
                    "stopped.", "media")]
    else:
        out = [ok("media.rtpengine", "rtpengine", f"rtpengine at {media.address} answers.",
                  "media")]
    expected = facts.expected_interface
    title = "Media address"
    if media.conf_interface is None:
        out.append(fail("media.address", title,
                        f"rtpengine's config is not there: "
                        f"{(media.conf_error or str(media.conf_path)).rstrip('.')}.",
                        f"{restart} writes it from /data/sbc.yaml.", "media"))
    elif expected is not None and media.conf_interface != expected:
        shown = media.conf_interface.rpartition("!")[2]
        wanted = expected.rpartition("!")[2]
        out.append(fail("media.address", title,
                        f"rtpengine announces {shown} (interface {media.conf_interface}), but "
                        f"sbc.public_ip/wan_ip say {expected}.",
                        f"Restart it with {restart} to render its config from /data/sbc.yaml "
                        f"(then it announces {wanted}).", "media"))
    else:
        shown = media.conf_interface.rpartition("!")[2]
        out.append(ok("media.address", title, f"rtpengine announces {shown}.", "media"))
    return out


def clock_findings(facts: Facts) -> list[Finding]:
    clock = facts.clock
    if clock is None:
        return []
    title = "Clock"
    if clock.synchronised:
        return [ok("clock", title, f"The clock is synchronised ({clock.source}).", "system")]
    if clock.synchronised is None:
        return [warn("clock", title,
                     f"Cannot tell whether the clock is synchronised: "
                     f"{(clock.detail or 'no answer').rstrip('.')}.",
                     "Check chrony with `systemctl status chrony` and `chronyc sources`.",
                     "system")]
    return [warn("clock", title, "The clock is not synchronised (chrony); certificate "
                 "checks and Microsoft's TLS need the right time.",
                 "Check `chronyc sources`: the box needs UDP 123 out to its NTP servers.",
                 "system")]


def live_findings(facts: Facts) -> list[Finding]:
    out = service_findings(facts)
    doc = facts.status.doc if facts.status.running else None
    if doc is None:
        out += [_not_running("teams.options_out", "OPTIONS to Teams"),
                _not_running("teams.options_in", "OPTIONS from Microsoft"),
                _not_running("carrier.registration", "Carrier registration")]
    else:
        out += options_out_findings(facts, doc)
        out += options_in_findings(facts, doc)
        out += registration_findings(facts, doc)
    out += firewall_findings(facts)
    out += bypass.firewall_findings(facts)
    out += access_findings(facts)
    out += media_findings(facts)
    out += bypass.address_findings(facts)
    out += clock_findings(facts)
    return out
