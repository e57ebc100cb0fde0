"""The doctor's I/O: each gatherer reads one thing and returns a frozen fact.

Every gatherer is a plain function held by `Gatherers`, so a test swaps the ones that
would touch DNS, nft, rtpengine or the clock. None of them sends anything the SBC does
not send already: one DNS query for sbc.fqdn, one ng `ping` to rtpengine on loopback,
and reads of local files and programs.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..certs.bundle import fingerprint_text, load_bundle
from ..certs.names import validate_fqdn
from ..config import Config
from ..config.loader import inspect
from ..config.placeholders import placeholder_reason
from ..status import find_status
from .facts import (
    AcmeFacts,
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

DNS_TIMEOUT = 3.0
RESERVED_TLDS = frozenset({"test", "example", "invalid", "localhost"})  # RFC 2606 §2
COMMAND_TIMEOUT = 5.0
RTPENGINE_CONF = Path("/run/opensbc-media/rtpengine.conf")
NOT_CONFIGURED = "not configured yet"


def _run(argv: list[str]) -> tuple[int, str, str]:
    """(exit status, stdout, stderr); 127 when the program is missing."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                              check=False)
    except FileNotFoundError:
        return 127, "", f"{argv[0]} is not installed"
    except subprocess.TimeoutExpired:
        return 124, "", f"{' '.join(argv)} did not answer within {COMMAND_TIMEOUT:g} s"
    return proc.returncode, proc.stdout, proc.stderr.strip()


# -- config and status ------------------------------------------------------------------


def read_config(path: str) -> tuple[Config | None, tuple[str, ...], tuple[str, ...], bool]:
    """(config, errors, stand-in fields, file missing), as `sbc check` would see it."""
    missing = not Path(path).exists()
    config, issues = inspect(path)
    errors = tuple(str(i) for i in issues if i.is_error)
    stand_ins = [f"{name}: {why}" for name, why in getattr(config, "unconfigured", ())]
    if not stand_ins:  # an older loader: only its warnings say so
        stand_ins = [str(i) for i in issues if not i.is_error and NOT_CONFIGURED in i.message]
    return config, errors, tuple(stand_ins), missing


def read_status(run_dir: Path | None) -> StatusFacts:
    found = find_status(run_dir)
    return StatusFacts(found.running, found.problem, found.doc if found.running else None)


# -- certificate and CA bundle ----------------------------------------------------------


def assess_certificate(config: Config) -> CertFacts:
    """The installed certificate through `sbc.certs.assess`, the checks `sbc run` uses."""
    tls = config.sbc.tls
    if not tls.cert.is_file():
        return CertFacts(tls.cert, tls.key, exists=False)
    try:
        from ..certs.assess import assess_installed

        report = assess_installed(tls.cert, tls.key, tls.ca_bundle, config.sbc.fqdn)
    except Exception as exc:  # the doctor reports, it never crashes on a bad file
        return CertFacts(tls.cert, tls.key, exists=True, error=str(exc) or type(exc).__name__)
    checks = tuple(CertCheck(f.check, f.level, f.message, f.hint or None) for f in report.findings)
    end = report.not_after
    return CertFacts(
        tls.cert, tls.key, exists=True, checks=checks,
        subject=report.subject,
        not_after=None if end is None else end.strftime("%Y-%m-%d"),
        days_left=report.days_left,
    )


def read_acme(config: Config) -> AcmeFacts | None:
    """The ACME state next to the installed certificate (/data/acme); None without ACME."""
    if config.acme is None:
        return None
    from ..certs.acme.renew import status
    from ..certs.paths import CertPaths

    found = status(config.acme, config.sbc.fqdn, CertPaths(config.sbc.tls.cert.parent))
    renew_on, failures = found.get("renew_on"), found.get("failures")
    return AcmeFacts(
        directory=config.acme.directory, due=bool(found.get("due")),
        renew_on=renew_on if isinstance(renew_on, str) else None,
        last_result=_text(found.get("last_result")),
        last_attempt=_text(found.get("last_attempt")),
        message=_text(found.get("message")) or "", ca_error=_text(found.get("ca_error")) or "",
        failures=failures if isinstance(failures, int) else 0,
        next_try=_text(found.get("next_try")),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def read_bundle(path: Path) -> BundleFacts:
    if not path.is_file():
        return BundleFacts(path, exists=False)
    try:
        certs = load_bundle(path)
    except (OSError, ValueError) as exc:
        return BundleFacts(path, exists=True, error=str(exc))
    roots = []
    for cert in certs:
        names = [a.value for a in cert.subject if a.oid.dotted_string == "2.5.4.3"]
        roots.append(RootCert(str(names[0]) if names else "", fingerprint_text(cert)))
    return BundleFacts(path, exists=True, roots=tuple(roots))


# -- DNS, firewall, rtpengine, clock ----------------------------------------------------


def lookup_fqdn(fqdn: str, timeout: float = DNS_TIMEOUT) -> DnsFacts:
    """The A records of sbc.fqdn through the SBC's own resolver adapter, with a timeout."""
    try:
        name = validate_fqdn(fqdn)
    except Exception:
        return DnsFacts(fqdn, skipped="the name is not a valid FQDN")
    if placeholder_reason(name):
        return DnsFacts(fqdn, skipped=f"{name} is the template's example name")
    if name.rpartition(".")[2] in RESERVED_TLDS:
        # Never in public DNS, so asking would only send the name off the box (labs, tests).
        return DnsFacts(fqdn, skipped=f"{name} is a reserved test name (RFC 2606), not in "
                                      "public DNS")
    import dns.asyncresolver

    from ..resolve import DnsFailure, DnsLookup, NxDomain

    resolver = dns.asyncresolver.Resolver()
    resolver.lifetime = timeout
    try:
        records = asyncio.run(DnsLookup(resolver)(name, "A"))
    except NxDomain:
        return DnsFacts(fqdn, nxdomain=True, error="no such domain (NXDOMAIN)")
    except DnsFailure as exc:
        return DnsFacts(fqdn, error=str(exc))
    return DnsFacts(fqdn, addresses=tuple(sorted(str(r) for r in records)))


def read_firewall(table: str = "opensbc") -> FirewallFacts:
    status, out, err = _run(["nft", "-j", "list", "table", "inet", table])
    if status == 127:
        return FirewallFacts(error=err)
    if status != 0:
        if "No such file" in err or "does not exist" in err:
            return FirewallFacts(missing=True, error=err)
        return FirewallFacts(error=err or f"nft exited with status {status}")
    try:
        return FirewallFacts(ruleset=json.loads(out))
    except ValueError as exc:
        return FirewallFacts(error=f"nft -j printed no JSON: {exc}")


def ping_rtpengine(host: str, port: int, conf: Path = RTPENGINE_CONF) -> MediaFacts:
    """One ng ping through the SBC's own client, and the rendered config's interface."""
    from ..media import ng
    from ..media.errors import MediaError
    from ..media.relay import MediaRelay

    async def ping() -> str | None:
        relay = MediaRelay(host, port, timeout=0.5, retries=1)
        try:
            await relay.request(ng.ping())
        except MediaError as exc:
            return str(exc)
        finally:
            await relay.close()
        return None

    try:
        error = asyncio.run(ping())
    except OSError as exc:
        error = str(exc)
    answered = error is None
    interface, conf_error = None, None
    try:
        match = re.search(r"^\s*interface\s*=\s*(\S+)", conf.read_text(), re.MULTILINE)
        interface = match.group(1) if match else None
        if match is None:
            conf_error = f"{conf} has no interface line"
    except OSError as exc:
        conf_error = f"cannot read {conf}: {exc.strerror or exc}"
    return MediaFacts(f"{host}:{port}", answered, error, conf, interface, conf_error)


def read_clock() -> ClockFacts:
    """systemd's view first (chrony feeds it), chrony's own as the fallback."""
    status, out, err = _run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
    if status == 0 and out.strip() in ("yes", "no"):
        return ClockFacts(out.strip() == "yes", "timedatectl")
    status, out, err2 = _run(["chronyc", "-n", "tracking"])
    if status == 0:
        leap = re.search(r"^Leap status\s*:\s*(.+)$", out, re.MULTILINE)
        state = leap.group(1).strip() if leap else "unknown"
        return ClockFacts(state == "Normal", "chronyc", f"leap status {state}")
    return ClockFacts(None, "", err2 or err or "neither timedatectl nor chronyc answered")


def expected_interface(config: Config) -> str | None:
    """The `interface =` line `sbc.config.rtpengine` renders for this config."""
    from ..config.rtpengine import render_for

    try:
        text = render_for(config)
    except ValueError:
        return None
    match = re.search(r"^\s*interface\s*=\s*(\S+)", text, re.MULTILINE)
    return match.group(1) if match else None


@dataclass(frozen=True)
class Gatherers:
    """The I/O the doctor does; tests replace single entries."""

    config: Callable[[str], tuple[Config | None, tuple[str, ...], tuple[str, ...], bool]] = (
        read_config)
    status: Callable[[Path | None], StatusFacts] = read_status
    certificate: Callable[[Config], CertFacts] = assess_certificate
    acme: Callable[[Config], AcmeFacts | None] = read_acme
    bundle: Callable[[Path], BundleFacts] = read_bundle
    dns: Callable[[str], DnsFacts] = lookup_fqdn
    firewall: Callable[[], FirewallFacts] = read_firewall
    media: Callable[[str, int], MediaFacts] = ping_rtpengine
    clock: Callable[[], ClockFacts] = read_clock
    now: Callable[[], float] = field(default=time.time)


def gather(config_path: str, run_dir: Path | None = None,
           gatherers: Gatherers | None = None) -> Facts:
    """Every fact, in no particular order; what needs the config is skipped without it."""
    g = gatherers or Gatherers()
    config, errors, stand_ins, missing = g.config(config_path)
    status = g.status(run_dir)
    common: dict[str, Any] = {
        "config_path": config_path, "config": config, "config_errors": errors,
        "config_missing": missing, "placeholders": stand_ins, "status": status,
        "clock": g.clock(), "now": g.now(),
    }
    if config is None:
        return Facts(**common)
    host, port = config.media.rtpengine
    return Facts(
        **common,
        cert=g.certificate(config),
        acme=g.acme(config),
        bundle=g.bundle(config.sbc.tls.ca_bundle),
        dns=g.dns(config.sbc.fqdn),
        firewall=g.firewall(),
        media=g.media(host, port),
        expected_interface=expected_interface(config),
    )
