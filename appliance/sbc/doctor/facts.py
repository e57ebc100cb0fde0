"""Everything `sbc doctor` looks at, as plain frozen values.

The checks (`checks.py`) are pure functions of a `Facts`; the gatherers (`gather.py`) are
the only code that reads files, runs programs or asks DNS. Tests build `Facts` by hand,
one per failure, without touching the machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..config import Config

Level = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class CertCheck:
    """One line of the certificate assessment (`sbc.certs.assess`), copied as it is."""

    check: str
    level: Level
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class CertFacts:
    """The installed certificate: absent, unreadable (`error`) or assessed (`checks`)."""

    cert: Path
    key: Path
    exists: bool
    checks: tuple[CertCheck, ...] = ()
    subject: str | None = None
    not_after: str | None = None
    days_left: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class AcmeFacts:
    """ACME renewal as `sbc cert acme status` reports it (`sbc.certs.acme.renew.status`)."""

    directory: str
    due: bool
    renew_on: str | None = None  # ISO 8601
    last_result: str | None = None  # "issued", "failed", "rejected"
    last_attempt: str | None = None
    message: str = ""
    ca_error: str = ""  # the CA's own words
    failures: int = 0
    next_try: str | None = None


@dataclass(frozen=True)
class RootCert:
    """A root in the CA bundle, by the names the checks compare."""

    common_name: str
    sha256: str  # upper-case hex with colons


@dataclass(frozen=True)
class BundleFacts:
    path: Path
    exists: bool
    roots: tuple[RootCert, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class DnsFacts:
    """The A records of sbc.fqdn; `skipped` says why no lookup was made."""

    name: str
    addresses: tuple[str, ...] = ()
    error: str | None = None
    nxdomain: bool = False
    skipped: str | None = None


@dataclass(frozen=True)
class StatusFacts:
    """The running SBC's status document (epoch times, as in status.json)."""

    running: bool
    problem: str | None = None
    doc: dict[str, Any] | None = None


@dataclass(frozen=True)
class FirewallFacts:
    """`nft -j list table inet opensbc` parsed, or why it could not be read."""

    ruleset: dict[str, Any] | None = None
    error: str | None = None
    missing: bool = False  # nft ran, the table is not loaded


@dataclass(frozen=True)
class MediaFacts:
    """rtpengine: did it answer an ng ping, and what its rendered config announces."""

    address: str  # the ng socket, "127.0.0.1:2223"
    answered: bool
    error: str | None = None
    conf_path: Path = Path("/run/opensbc-media/rtpengine.conf")
    conf_interface: str | None = None  # the `interface =` value of the rendered file
    conf_error: str | None = None


@dataclass(frozen=True)
class ClockFacts:
    synchronised: bool | None  # None: could not tell
    source: str = ""  # the command that said so
    detail: str | None = None


@dataclass(frozen=True)
class Facts:
    """What the checks need. Parts are None when the config did not load (or not asked)."""

    config_path: str
    config: Config | None
    config_errors: tuple[str, ...] = ()
    config_missing: bool = False
    placeholders: tuple[str, ...] = ()  # "field: why" of values still from the template
    status: StatusFacts = field(default_factory=lambda: StatusFacts(False, "not read"))
    cert: CertFacts | None = None
    acme: AcmeFacts | None = None  # None: no `acme:` section
    bundle: BundleFacts | None = None
    dns: DnsFacts | None = None
    firewall: FirewallFacts | None = None
    media: MediaFacts | None = None
    expected_interface: str | None = None  # what rtpengine.conf should say for this config
    clock: ClockFacts | None = None
    now: float = 0.0  # wall clock, epoch seconds
