"""Making a backup of the data folder, and restoring one: everything checked first.

Restore, in order:

1. read the archive (`archive.read`: known names only, no links or `..`, size limits);
2. check every file before anything is replaced:
   - `sbc.yaml` with the loader (`sbc.config`), as the file would be read where it goes,
     with the backup's profiles; an error refuses the restore, named `sbc.yaml:LINE: field`;
   - `ca-extra.pem` must hold certificates;
   - `sbc.crt` and `sbc.key` come as a pair (one without the other is refused) and are
     assessed (`certs.assess`) against the backup's FQDN and a trust store built from
     the system store and the backup's extra roots. A pair that cannot work at all (a
     file that does not parse, a key that is not the certificate's) refuses the restore:
     the archive is damaged or mixed up. The other findings (expired, another FQDN, an
     incomplete chain, no clientAuth) restore with a warning: the backup holds what the
     box had, and an admin restoring an old backup wants the configuration back; the
     page shows the warnings before the restore is confirmed;
3. keep the current files as `backup-before-restore.tar.gz` in the data folder (0600);
4. replace the files atomically (`util.atomic`), the configuration last; rebuild
   `ca.pem` (`certs.bundle`); files the backup does not hold stay as they are;
5. apply: restart opensbc-media, reload opensbc (`config.apply`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import socket
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..certs.assess import CertReport, assess_installed
from ..certs.bundle import build_bundle
from ..certs.errors import CertError
from ..certs.pair import install_pair
from ..certs.paths import SYSTEM_STORE, CertPaths
from ..certs.pem import load_certificates
from ..config.apply import actions_for, run_actions
from ..config.issues import ConfigIssue
from ..config.loader import parse
from ..config.save import CONFIG_MODE
from ..util.atomic import atomic_write
from . import archive
from .archive import CA_EXTRA, CERT, CONFIG, KEY, PROFILES, Backup, BackupError, Member

PREVIOUS = "backup-before-restore.tar.gz"
# A certificate finding of these checks refuses the restore; any other is a warning.
REFUSING_CHECKS = frozenset({"files", "parse", "key"})
FILE_MODES = {CONFIG: CONFIG_MODE, KEY: 0o600, CERT: 0o644, CA_EXTRA: 0o644}


@dataclass(frozen=True)
class Place:
    """Where the files are: the data folder, and the config (DATA/sbc.yaml or elsewhere)."""

    data_dir: Path
    config: Path

    def target(self, name: str) -> Path:
        return self.config if name == CONFIG else self.data_dir / name


# -- create ---------------------------------------------------------------------------


def collect(place: Place) -> tuple[list[Member], list[str]]:
    """The files of the data folder that go into a backup, and what is missing."""
    members: list[Member] = []
    missing: list[str] = []
    for name in archive.FILES:
        path = place.target(name)
        if path.is_file():
            members.append(Member(name, path.read_bytes(), archive.SECRET.get(name, 0o644)))
        else:
            missing.append(f"{path} does not exist: not in the backup")
    folder = place.data_dir / PROFILES
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file() and archive.PROFILE_NAME.match(path.name):
                members.append(Member(f"{PROFILES}/{path.name}", path.read_bytes()))
    return members, missing


def fqdn_of(text: bytes | None) -> str | None:
    """sbc.fqdn of a config's text, without validating it (for names and the manifest)."""
    try:
        doc = yaml.safe_load(text or b"")
    except yaml.YAMLError:
        return None
    sbc = doc.get("sbc") if isinstance(doc, dict) else None
    fqdn = sbc.get("fqdn") if isinstance(sbc, dict) else None
    return fqdn if isinstance(fqdn, str) and fqdn else None


@dataclass
class Created:
    data: bytes
    name: str  # the file name to offer: opensbc-FQDN-DATE.tar.gz
    members: list[Member]
    warnings: list[str]


def create(place: Place, *, now: dt.datetime | None = None) -> Created:
    when = now or dt.datetime.now(dt.UTC)
    members, warnings = collect(place)
    config = next((m.data for m in members if m.name == CONFIG), None)
    fqdn = fqdn_of(config)
    data = archive.build(members, created=when, fqdn=fqdn, host=socket.gethostname())
    name = f"opensbc-{fqdn or socket.gethostname()}-{when:%Y-%m-%d}.tar.gz"
    return Created(data, name, members, warnings)


def write_new(path: Path, data: bytes) -> None:
    """Write `data` to a new file (never over an existing one or through a link), 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


# -- check ----------------------------------------------------------------------------


@dataclass
class Problem:
    """One reason to refuse (or a warning): the backup's file, line and field if known."""

    message: str
    file: str = ""
    line: int | None = None
    field: str = ""

    @property
    def text(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return ": ".join(p for p in (where, self.field, self.message) if p)

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field,
                "message": self.message, "text": self.text}


@dataclass
class FileChange:
    name: str
    path: Path
    action: str  # replace, create, unchanged, keep (not in the backup)
    size: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "action": self.action,
                "size": self.size}


@dataclass
class Plan:
    """What a restore would do, and whether it may."""

    backup: Backup
    place: Place
    files: list[FileChange] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # settings that differ (no values)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    certificate: CertReport | None = None
    bundle: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def check(backup: Backup, place: Place, *, system_store: Path | None = SYSTEM_STORE,
          now: dt.datetime | None = None) -> Plan:
    """Check every file of `backup` for `place`; nothing outside a scratch folder is written."""
    plan = Plan(backup, place)
    plan.warnings += [Problem(message, name) for name, message in backup.warnings]
    place.data_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".restore-", dir=place.data_dir))
    try:
        for name, data in backup.files.items():
            path = scratch / name
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(data)
        fqdn = _check_config(plan, scratch)
        _check_ca_extra(plan)
        _check_certificate(plan, scratch, fqdn, system_store, now)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _file_changes(plan)
    return plan


def _check_config(plan: Plan, scratch: Path) -> str:
    raw = plan.backup.files.get(CONFIG)
    fqdn = str(plan.backup.manifest.get("fqdn") or "")
    if raw is None:
        plan.errors.append(Problem("the backup holds no configuration", CONFIG))
        return fqdn
    try:
        text = raw.decode("utf-8")
    except UnicodeError as exc:
        plan.errors.append(Problem(f"is not UTF-8 text ({exc})", CONFIG))
        return fqdn
    target = plan.place.config
    profiles = scratch / PROFILES if plan.backup.profiles else None
    config, log = parse(str(target), text, profiles_dir=profiles)
    written = {str(plan.place.target(n)) for n in (CERT, KEY) if n in plan.backup.files}
    written.add(str(CertPaths(plan.place.data_dir).ca_bundle))
    for issue in log.sorted():
        if not issue.is_error and any(issue.message == f"file {p} does not exist"
                                      for p in written):
            continue  # the restore writes it
        problem = _problem(issue, str(target), scratch)
        (plan.errors if issue.is_error else plan.warnings).append(problem)
    if config is not None:
        fqdn = config.sbc.fqdn
        current = plan.place.config.read_bytes() if plan.place.config.is_file() else b""
        plan.changes = setting_changes(current, raw)
    return fqdn


def _problem(issue: ConfigIssue, target: str, scratch: Path) -> Problem:
    file = issue.file
    if file == target:
        file = CONFIG  # the backup's sbc.yaml, not the file on the box
    elif file.startswith(str(scratch) + "/"):
        file = file[len(str(scratch)) + 1:]
    return Problem(issue.message, file, issue.line, issue.field)


def _check_ca_extra(plan: Plan) -> None:
    data = plan.backup.files.get(CA_EXTRA)
    if data is None:
        return
    try:
        load_certificates(data, CA_EXTRA)
    except CertError as exc:
        plan.errors.append(Problem(exc.message, CA_EXTRA))


def _check_certificate(plan: Plan, scratch: Path, fqdn: str, system_store: Path | None,
                       now: dt.datetime | None) -> None:
    files = plan.backup.files
    if KEY in files and CERT not in files:
        plan.errors.append(Problem(
            f"the backup holds the private key without its certificate {CERT}; restoring "
            "it would break the installed certificate", KEY))
        return
    if CERT in files and KEY not in files:
        plan.errors.append(Problem(
            f"the backup holds the certificate without its private key {KEY}", CERT))
        return
    paths = CertPaths(scratch)
    if CA_EXTRA not in files and (plan.place.data_dir / CA_EXTRA).is_file():
        shutil.copyfile(plan.place.data_dir / CA_EXTRA, paths.ca_extra)
    if any(p.file == CA_EXTRA for p in plan.errors):
        return
    report = build_bundle(paths, system_store=system_store, now=now)
    plan.bundle = {"total": report.total, "from_system": report.from_system,
                   "from_extra": report.from_extra}
    if CERT not in files:
        plan.warnings.append(Problem(
            "the backup holds no certificate: the installed one (if any) stays", CERT))
        return
    cert = assess_installed(paths.cert, paths.key, paths.ca_bundle, fqdn, now=now)
    plan.certificate = cert
    prefix = str(scratch) + "/"
    for finding in cert.problems:
        message = finding.text().replace(prefix, "")
        problem = Problem(f"{finding.check} check: {message}", CERT)
        if finding.level == "fail" and finding.check in REFUSING_CHECKS:
            plan.errors.append(problem)
        else:
            plan.warnings.append(problem)


def _file_changes(plan: Plan) -> None:
    place, files = plan.place, plan.backup.files
    names = [*archive.FILES, *sorted(n for n in files if n.startswith(PROFILES + "/"))]
    for name in names:
        path = place.target(name)
        if name not in files:
            plan.files.append(FileChange(name, path, "keep"))
            continue
        data = files[name]
        if not path.is_file():
            action = "create"
        elif _digest(path.read_bytes()) == _digest(data):
            action = "unchanged"
        else:
            action = "replace"
        plan.files.append(FileChange(name, path, action, len(data)))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def setting_changes(old: bytes, new: bytes) -> list[str]:
    """The dotted names whose values differ between two configs (values not shown:
    they may be passwords). Connections are named by their `name`."""
    try:
        before, after = yaml.safe_load(old or b"") or {}, yaml.safe_load(new) or {}
    except yaml.YAMLError:
        return [CONFIG]
    out: list[str] = []
    _diff(_by_name(before), _by_name(after), "", out, depth=0)
    return out


def _by_name(doc: Any) -> Any:
    if isinstance(doc, dict) and isinstance(doc.get("connections"), list):
        conns = {}
        for i, c in enumerate(doc["connections"]):
            key = c.get("name") if isinstance(c, dict) else None
            conns[str(key) if key else f"#{i + 1}"] = c
        return {**doc, "connections": conns}
    return doc


def _diff(a: Any, b: Any, path: str, out: list[str], depth: int) -> None:
    if a == b:
        return
    if isinstance(a, dict) and isinstance(b, dict) and depth < 3:
        for key in [*a, *(k for k in b if k not in a)]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in a:
                out.append(f"{sub} (added)")
            elif key not in b:
                out.append(f"{sub} (removed)")
            else:
                _diff(a[key], b[key], sub, out, depth + 1)
        return
    out.append(path or CONFIG)


# -- restore --------------------------------------------------------------------------


@dataclass
class Restored:
    previous: Path | None
    applied: list[str]
    failures: list[str]


def restore(plan: Plan, *, systemctl: Sequence[str] | None,
            system_store: Path | None = SYSTEM_STORE, now: dt.datetime | None = None,
            ) -> Restored:
    """Replace the files of a checked plan, rebuild ca.pem, apply (unless `systemctl`
    is None). Raises BackupError when the plan has errors."""
    if not plan.ok:
        raise BackupError("the backup has errors; nothing restored")
    place, files = plan.place, plan.backup.files
    previous = _keep_previous(place, now)
    if CA_EXTRA in files:
        atomic_write(place.target(CA_EXTRA), files[CA_EXTRA], FILE_MODES[CA_EXTRA])
    build_bundle(CertPaths(place.data_dir), system_store=system_store, now=now)
    if CERT in files and KEY in files:  # a pair in the archive (check refuses one alone)
        install_pair(CertPaths(place.data_dir), files[CERT], files[KEY])
    profiles = plan.backup.profiles
    if profiles:
        folder = place.data_dir / PROFILES
        folder.mkdir(mode=0o755, exist_ok=True)
        for name, data in profiles.items():
            atomic_write(folder / name, data, 0o644)
    place.config.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(place.config, files[CONFIG], FILE_MODES[CONFIG])
    if systemctl is None:
        return Restored(previous, [], [])
    applied, failures = run_actions(actions_for(["restart-media"]), systemctl)
    return Restored(previous, applied, failures)


def _keep_previous(place: Place, now: dt.datetime | None) -> Path | None:
    """The files about to be replaced, as a backup in the data folder (0600)."""
    if not any(place.target(n).is_file() for n in archive.FILES):
        return None
    made = create(place, now=now)
    path = place.data_dir / PREVIOUS
    atomic_write(path, made.data, 0o600)
    return path
