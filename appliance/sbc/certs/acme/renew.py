"""When to renew, and what a renewal does: order, check, install, reload, remember.

    due:      no certificate, one that does not cover sbc.fqdn, or at most `renew_at`
              of its lifetime left (1/3: day 60 of a 90-day certificate);
    backoff:  after a failure, not again before 1 h, then 2, 4, ... up to 24 h (the timer
              runs twice a day; `--force` ignores both);
    install:  through `importer.import_certificate`, the checks of `sbc cert import`
              (key, chain, FQDN in CN and SAN, validity, RSA, EKU), then `certs.pair`
              swaps key and certificate in one rename. A refused certificate is kept
              aside with the reason (store.keep_aside) and the old pair stays in use;
    reload:   `systemctl reload-or-restart opensbc` (sbc.config.apply), so new TLS
              connections present the new certificate;
    alerts:   the state records the expiry threshold (30, 14, 7, 1 days) last warned
              about, so each one is logged once per certificate (also without ACME:
              `expiry_alerts`, for certificates imported by hand).

The clock is passed in (`now`), so tests move it instead of waiting months.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from ...config.apply import RELOAD_SBC, run_actions, systemctl_command
from ...config.model import AcmeSettings
from .. import compat
from ..assess import check_fqdn
from ..errors import CertError
from ..importer import import_certificate
from ..paths import SYSTEM_STORE, CertPaths
from ..pem import load_certificates
from .order import AcmeError, Issued, obtain
from .store import AcmeFiles, AcmeState

ALERT_DAYS = (30, 14, 7, 1)
BIND_ENV = "OPENSBC_ACME_BIND"
FIRST_BACKOFF = dt.timedelta(hours=1)
MAX_BACKOFF = dt.timedelta(hours=24)

Obtain = Callable[[AcmeSettings, str, AcmeFiles], Issued]


@dataclass(frozen=True)
class Due:
    due: bool
    why: str
    renew_on: dt.datetime | None = None  # when a valid certificate becomes due


@dataclass(frozen=True)
class Outcome:
    """What one run did: "issued", "not-due", "backoff", "failed" or "rejected"."""

    result: str
    message: str
    ca_error: str = ""
    reloaded: bool = False
    kept_aside: Path | None = None
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.result in ("issued", "not-due", "backoff")


def installed_leaf(paths: CertPaths) -> x509.Certificate | None:
    """The installed certificate (the first in sbc.crt), None if absent or unreadable."""
    try:
        certs = load_certificates(paths.cert.read_bytes(), str(paths.cert))
    except (OSError, CertError):
        return None
    return certs[0] if certs else None


def due(leaf: x509.Certificate | None, fqdn: str, renew_at: float, now: dt.datetime) -> Due:
    """Whether the installed certificate needs renewing now (see the module docstring)."""
    if leaf is None:
        return Due(True, "no certificate is installed")
    if check_fqdn(leaf, fqdn).level == "fail":
        return Due(True, f"the installed certificate does not cover {fqdn}")
    start, end = compat.not_before(leaf), compat.not_after(leaf)
    renew_on = end - (end - start) * renew_at
    if now >= renew_on:
        left = max((end - now).days, 0)
        return Due(True, f"{left} days left, renewal due since {renew_on:%Y-%m-%d}", renew_on)
    return Due(False, f"valid until {end:%Y-%m-%d}, renewal due on {renew_on:%Y-%m-%d}",
               renew_on)


def backoff(failures: int) -> dt.timedelta:
    """1 h after the first failure, doubling, at most 24 h."""
    if failures <= 0:
        return dt.timedelta(0)
    return min(FIRST_BACKOFF * 2 ** min(failures - 1, 16), MAX_BACKOFF)


def alert_threshold(days_left: int, alerted: int | None) -> int | None:
    """The expiry threshold to warn about now, if one was crossed since the last warning."""
    crossed = [t for t in ALERT_DAYS if days_left <= t]
    if not crossed:
        return None
    smallest = min(crossed)
    return smallest if alerted is None or smallest < alerted else None


def renew(
    settings: AcmeSettings,
    fqdn: str,
    paths: CertPaths,
    *,
    force: bool = False,
    now: dt.datetime | None = None,
    obtain_with: Obtain | None = None,
    systemctl: Sequence[str] | None = None,
    system_store: Path | None = SYSTEM_STORE,
) -> Outcome:
    """Renew when due (always with `force`), honouring the backoff; never raises for a
    CA or check failure, which is recorded in the state file instead."""
    when = now or compat.now_utc()
    files = AcmeFiles(paths)
    state = files.load_state()
    leaf = installed_leaf(paths)
    warnings = _expiry_alert(leaf, state, when)
    decision = due(leaf, fqdn, settings.renew_at, when)
    if not (force or decision.due):
        files.save_state(state)
        return Outcome("not-due", decision.why, warnings=warnings)
    if not force and state.next_try and when < dt.datetime.fromisoformat(state.next_try):
        files.save_state(state)
        return Outcome("backoff", f"renewal due ({decision.why}), but the last attempt "
                       f"failed; next try after {state.next_try}", state.ca_error,
                       warnings=warnings)
    state.last_attempt = when.isoformat()
    outcome = _attempt(settings, fqdn, paths, files, state, when,
                       obtain_with or _default_obtain, system_store,
                       systemctl if systemctl is not None else systemctl_command())
    files.save_state(state)
    return Outcome(outcome.result, outcome.message, outcome.ca_error, outcome.reloaded,
                   outcome.kept_aside, warnings + outcome.warnings)


def _default_obtain(settings: AcmeSettings, fqdn: str, files: AcmeFiles) -> Issued:
    """Every address; $OPENSBC_ACME_BIND narrows it (tests and labs: 127.0.0.1)."""
    return obtain(settings, fqdn, files, bind=os.environ.get(BIND_ENV, ""))


def _attempt(settings: AcmeSettings, fqdn: str, paths: CertPaths, files: AcmeFiles,
             state: AcmeState, when: dt.datetime, obtain_with: Obtain,
             system_store: Path | None, systemctl: Sequence[str]) -> Outcome:
    try:
        issued = obtain_with(settings, fqdn, files)
    except AcmeError as exc:
        return _failed(state, when, "failed", exc.message, exc.ca_error)
    checked = max(when, compat.now_utc())  # the order took time; Pebble starts "now"
    try:
        result = import_certificate(issued.fullchain_pem, fqdn=fqdn, paths=paths,
                                    key_data=issued.key_pem, system_store=system_store,
                                    now=checked, cert_source="the certificate from the CA")
    except CertError as exc:
        reason = f"{exc.check} check: {exc.message}" + (f" ({exc.hint})" if exc.hint else "")
        folder = files.keep_aside(issued.fullchain_pem, issued.key_pem, reason, when)
        state.rejected = [*state.rejected, str(folder)][-5:]
        out = _failed(state, when, "rejected",
                      f"the new certificate was refused and kept in {folder}; the old one "
                      f"stays in use: {reason}", "")
        return Outcome(out.result, out.message, kept_aside=folder)
    state.last_result, state.failures, state.next_try = "issued", 0, None
    state.message, state.ca_error = result.summary().splitlines()[0], ""
    state.last_issued, state.alerted_days = when.isoformat(), None
    done, problems = run_actions([RELOAD_SBC], systemctl)
    message = f"{state.message}, valid until {result.not_after:%Y-%m-%d}"
    return Outcome("issued", message, reloaded=bool(done),
                   warnings=tuple(result.warnings) + tuple(problems))


def _failed(state: AcmeState, when: dt.datetime, result: str, message: str,
            ca_error: str) -> Outcome:
    state.failures += 1
    state.last_result, state.message, state.ca_error = result, message, ca_error
    state.next_try = (when + backoff(state.failures)).isoformat()
    return Outcome(result, message, ca_error)


def _expiry_alert(leaf: x509.Certificate | None, state: AcmeState,
                  when: dt.datetime) -> tuple[str, ...]:
    if leaf is None:
        return ()
    end = compat.not_after(leaf)
    if state.alerted_cert != end.isoformat():  # another certificate: alert it afresh
        state.alerted_days, state.alerted_cert = None, end.isoformat()
    days_left = (end - when).days
    threshold = alert_threshold(days_left, state.alerted_days)
    if threshold is None:
        return ()
    state.alerted_days = threshold
    return (f"the SBC certificate expires in {max(days_left, 0)} days "
            f"({end:%Y-%m-%d}), within {threshold} days",)


def expiry_alerts(paths: CertPaths, now: dt.datetime | None = None) -> tuple[str, ...]:
    """The expiry warnings alone, for a box without ACME (its certificate comes by hand):
    the timer still warns at 30, 14, 7 and 1 days."""
    files = AcmeFiles(paths)
    state = files.load_state()
    warnings = _expiry_alert(installed_leaf(paths), state, now or compat.now_utc())
    if warnings:
        files.save_state(state)
    return warnings


def status(settings: AcmeSettings | None, fqdn: str | None, paths: CertPaths,
           now: dt.datetime | None = None) -> dict[str, object]:
    """Days left, when renewal is due and the last result, for `sbc cert acme status`."""
    when = now or compat.now_utc()
    leaf = installed_leaf(paths)
    state = AcmeFiles(paths).load_state()
    answer: dict[str, object] = {
        "configured": settings is not None,
        "directory": settings.directory if settings else None,
        "fqdn": fqdn,
        "not_after": compat.not_after(leaf).isoformat() if leaf else None,
        "days_left": (compat.not_after(leaf) - when).days if leaf else None,
        **state.as_dict(),
    }
    if settings is not None and fqdn:
        decision = due(leaf, fqdn, settings.renew_at, when)
        answer["due"], answer["why"] = decision.due, decision.why
        answer["renew_on"] = decision.renew_on.isoformat() if decision.renew_on else None
    return answer
