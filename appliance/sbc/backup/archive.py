"""The backup archive as bytes: building one and reading one back (no file system here).

A backup is a gzip-compressed tar of fixed names:

    manifest.json        product, format, version, date, FQDN and host, each file's sha256
    sbc.yaml             the configuration (mode 0600: it holds trunk passwords)
    sbc.crt, sbc.key     the SBC's certificate and chain, its private key (0600)
    ca-extra.pem         the roots the admin added (`sbc cert add-ca`)
    profiles/NAME.yaml   extra connection profiles (/data/profiles)

Reading accepts exactly these names, regular files only (no links, devices, absolute
paths or `..`), within size limits, so an archive from anywhere can be looked at before
anything is written. A file whose checksum differs from the manifest is reported, not
refused: an admin may edit a backup's sbc.yaml on purpose (for a new box); what is
restored is checked on its content anyway (`restore`).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import re
import tarfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from .. import PRODUCT, __version__

FORMAT = 1
MANIFEST = "manifest.json"
CONFIG = "sbc.yaml"
CERT = "sbc.crt"
KEY = "sbc.key"
CA_EXTRA = "ca-extra.pem"
PROFILES = "profiles"
FILES = (CONFIG, CERT, KEY, CA_EXTRA)  # the fixed files, in archive order
SECRET = {CONFIG: 0o600, KEY: 0o600}  # mode inside the archive (others 0644)
PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.ya?ml$")

MAX_ARCHIVE = 16 * 1024 * 1024  # the compressed file
MAX_FILE = 4 * 1024 * 1024  # one member
MAX_TOTAL = 16 * 1024 * 1024  # all members, uncompressed
MAX_MEMBERS = 200


class BackupError(Exception):
    """The archive is refused: `message` says why, `member` names the file (or "")."""

    def __init__(self, message: str, member: str = "") -> None:
        self.message = message
        self.member = member
        super().__init__(f"{member}: {message}" if member else message)


@dataclass(frozen=True)
class Member:
    name: str
    data: bytes
    mode: int = 0o644

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class Backup:
    """A backup read back: its manifest, its files by name, and what did not match."""

    manifest: dict[str, Any]
    files: dict[str, bytes]
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (file, message)

    @property
    def profiles(self) -> dict[str, bytes]:
        """profiles/NAME.yaml by NAME.yaml."""
        prefix = PROFILES + "/"
        return {n[len(prefix):]: d for n, d in self.files.items() if n.startswith(prefix)}


def allowed_name(name: str) -> bool:
    if name in FILES or name == MANIFEST:
        return True
    folder, _, base = name.partition("/")
    return folder == PROFILES and bool(PROFILE_NAME.match(base))


def manifest_for(members: list[Member], *, created: dt.datetime, fqdn: str | None,
                 host: str | None) -> dict[str, Any]:
    return {
        "product": PRODUCT,
        "format": FORMAT,
        "version": __version__,
        "created": created.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "fqdn": fqdn,
        "host": host,
        "files": [{"name": m.name, "size": len(m.data), "sha256": m.sha256}
                  for m in members],
    }


def build(members: list[Member], *, created: dt.datetime, fqdn: str | None = None,
          host: str | None = None) -> bytes:
    """The tar.gz of `members` with a manifest first; owner root, mode as given."""
    for m in members:
        if not allowed_name(m.name) or m.name == MANIFEST:
            raise ValueError(f"not a backup file name: {m.name}")
    manifest = manifest_for(members, created=created, fqdn=fqdn, host=host)
    mtime = int(created.timestamp())
    raw = io.BytesIO()
    # mtime=0 in the gzip header: the same files at the same time give the same bytes.
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        text = (json.dumps(manifest, indent=1) + "\n").encode("utf-8")
        for m in [Member(MANIFEST, text), *members]:
            info = tarfile.TarInfo(m.name)
            info.size = len(m.data)
            info.mode = m.mode
            info.mtime = mtime
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(m.data))
    return raw.getvalue()


def read(data: bytes) -> Backup:
    """The backup in `data`, or BackupError saying why it is refused."""
    if len(data) > MAX_ARCHIVE:
        raise BackupError(f"the file is larger than a backup may be (at most {MAX_ARCHIVE} "
                          "bytes)")
    if data[:2] != b"\x1f\x8b":
        raise BackupError("not a backup: the file is not gzip-compressed (.tar.gz)")
    files: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for count, info in enumerate(tar, start=1):
                if count > MAX_MEMBERS:
                    raise BackupError(f"more than {MAX_MEMBERS} entries")
                name = _checked_name(info)
                if name is None:
                    continue  # a directory entry (profiles/)
                if info.size > MAX_FILE:
                    raise BackupError(f"{info.size} bytes; at most {MAX_FILE}", name)
                total += info.size
                if total > MAX_TOTAL:
                    raise BackupError(f"the files hold more than {MAX_TOTAL} bytes")
                if name in files:
                    raise BackupError("is in the archive twice", name)
                stream = tar.extractfile(info)
                if stream is None:
                    raise BackupError("cannot be read", name)
                files[name] = stream.read(MAX_FILE + 1)
    except (tarfile.TarError, EOFError, OSError, gzip.BadGzipFile, zlib.error) as exc:
        raise BackupError(f"the archive is damaged or not a tar.gz ({exc})") from exc
    manifest = _manifest(files.pop(MANIFEST, None))
    backup = Backup(manifest, files)
    _compare(backup)
    return backup


def _checked_name(info: tarfile.TarInfo) -> str | None:
    name = info.name
    shown = name.encode("unicode_escape").decode("ascii")[:100]
    if name.startswith("/") or "\\" in name:
        raise BackupError("absolute or Windows path in the archive", shown)
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise BackupError("a path leaving the folder (`..`) in the archive", shown)
    clean = "/".join(parts)
    if info.isdir():
        if clean != PROFILES:
            raise BackupError("unexpected folder in a backup", shown)
        return None
    if info.issym() or info.islnk():
        raise BackupError("a link in the archive; a backup holds only plain files", shown)
    if not info.isfile():
        raise BackupError("not a plain file (device, fifo, ...)", shown)
    if not allowed_name(clean):
        raise BackupError("not a file of an OpenSBC backup", shown)
    return clean


def _manifest(raw: bytes | None) -> dict[str, Any]:
    if raw is None:
        raise BackupError(f"not an {PRODUCT} backup: it has no {MANIFEST}")
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeError, ValueError) as exc:
        raise BackupError(f"is not valid JSON ({exc})", MANIFEST) from exc
    if not isinstance(manifest, dict) or manifest.get("product") != PRODUCT:
        raise BackupError(f"not an {PRODUCT} backup (product is not {PRODUCT})", MANIFEST)
    fmt = manifest.get("format")
    if not isinstance(fmt, int) or fmt > FORMAT:
        raise BackupError(
            f"backup format {fmt!r} from {PRODUCT} {manifest.get('version')}; this version "
            f"({__version__}) reads format {FORMAT}: update the SBC first", MANIFEST)
    if not isinstance(manifest.get("files"), list):
        raise BackupError("has no list of files", MANIFEST)
    return manifest


def _compare(backup: Backup) -> None:
    """Every file the manifest lists must be there; a changed one is a warning."""
    listed: dict[str, str] = {}
    for entry in backup.manifest["files"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise BackupError("a file entry without a name", MANIFEST)
        listed[entry["name"]] = str(entry.get("sha256") or "")
    for name, digest in listed.items():
        if name not in backup.files:
            raise BackupError(f"{MANIFEST} lists {name}, but the archive lacks it "
                              "(incomplete archive)", name)
        if hashlib.sha256(backup.files[name]).hexdigest() != digest:
            backup.warnings.append((name, "was changed after the backup was made "
                                    "(its checksum differs from the manifest)"))
    for name in backup.files:
        if name not in listed:
            backup.warnings.append((name, "was added after the backup was made "
                                    "(it is not in the manifest)"))
