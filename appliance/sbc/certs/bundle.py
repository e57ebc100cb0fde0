"""The trust store `/data/ca.pem`: system roots + Microsoft's roots + the admin's roots.

Microsoft moved its SIP proxies to DigiCert Global Root G2 overnight in October 2023, and
SBCs whose trust store lacked it stopped working (AT-4, AT-18). So the bundle is rebuilt
from three sources, never edited in place:

1. the system store (Debian's ca-certificates, updated with the OS);
2. the roots in `data/` (package data) that Microsoft's proxies chain to, so they are
   there even if the system store drops or lacks one;
3. the admin's roots in `/data/ca-extra.pem` (`sbc cert add-ca`), so a rebuild never
   loses them and new roots need no firmware update.

Expired roots are left out (Baltimore CyberTrust Root, expired 2025-05-12, among them).
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..util.atomic import atomic_write
from . import compat
from .chain import fingerprint, is_ca, is_self_signed, subject_text
from .errors import CertError
from .paths import SYSTEM_STORE, CertPaths
from .pem import load_certificates, pem_blocks


@dataclass(frozen=True)
class RequiredRoot:
    filename: str
    common_name: str
    sha256: str  # upper-case hex with colons, as `openssl x509 -fingerprint -sha256` shows


REQUIRED_ROOTS = (
    RequiredRoot(
        "DigiCert_Global_Root_G2.pem",
        "DigiCert Global Root G2",
        "CB:3C:CB:B7:60:31:E5:E0:13:8F:8D:D3:9A:23:F9:DE:"
        "47:FF:C3:5E:43:C1:14:4C:EA:27:D4:6A:5A:B1:CB:5F",
    ),
    RequiredRoot(
        "DigiCert_Global_Root_CA.pem",
        "DigiCert Global Root CA",
        "43:48:A0:E9:44:4C:78:CB:26:5E:05:8D:5E:89:44:B4:"
        "D8:4F:96:62:BD:26:DB:25:7F:89:34:A4:43:C7:01:61",
    ),
    RequiredRoot(
        "Microsoft_RSA_Root_Certificate_Authority_2017.pem",
        "Microsoft RSA Root Certificate Authority 2017",
        "C7:41:F7:0F:4B:2A:8D:88:BF:2E:71:C1:41:22:EF:53:"
        "EF:10:EB:A0:CF:A5:E6:4C:FA:20:F4:18:85:30:73:E0",
    ),
    RequiredRoot(
        "Microsoft_ECC_Root_Certificate_Authority_2017.pem",
        "Microsoft ECC Root Certificate Authority 2017",
        "35:8D:F3:9D:76:4A:F9:E1:B7:66:E9:C9:72:DF:35:2E:"
        "E1:5C:FA:C2:27:AF:6A:D1:D7:0E:8E:4A:6E:DC:BA:02",
    ),
)


def fingerprint_text(cert: x509.Certificate) -> str:
    return fingerprint(cert).hex(":").upper()


def required_roots() -> list[x509.Certificate]:
    """The shipped roots, each checked against its pinned SHA-256 fingerprint."""
    folder = resources.files(__package__ + ".data")
    roots = []
    for root in REQUIRED_ROOTS:
        cert = x509.load_pem_x509_certificate(folder.joinpath(root.filename).read_bytes())
        if fingerprint_text(cert) != root.sha256:
            raise RuntimeError(f"shipped root {root.filename} does not match its fingerprint")
        roots.append(cert)
    return roots


@dataclass
class BundleReport:
    """What a rebuild put into the bundle, for the CLI and the status page."""

    path: Path
    total: int = 0
    from_system: int = 0
    from_package: list[str] = field(default_factory=list)  # required roots the system lacked
    from_extra: int = 0
    expired: list[str] = field(default_factory=list)
    unreadable: int = 0
    system_store_missing: bool = False

    def summary(self) -> str:
        lines = [f"{self.path}: {self.total} root certificates"]
        lines.append(f"  from the system store: {self.from_system}")
        if self.system_store_missing:
            lines.append("  (the system store was not found)")
        if self.from_package:
            lines.append(f"  added from the package: {', '.join(self.from_package)}")
        lines.append(f"  added by the admin: {self.from_extra}")
        if self.expired:
            lines.append(f"  left out (expired): {', '.join(self.expired)}")
        if self.unreadable:
            lines.append(f"  left out (unreadable): {self.unreadable}")
        return "\n".join(lines)


def read_store(path: Path) -> tuple[list[x509.Certificate], int]:
    """Certificates in a PEM store, skipping blocks that do not parse (and counting them)."""
    certs, bad = [], 0
    for block in pem_blocks(path.read_bytes()):
        try:
            with warnings.catch_warnings():
                # Some old system roots have a negative serial; that is the OS's business.
                warnings.simplefilter("ignore")
                certs.append(x509.load_pem_x509_certificate(block))
        except ValueError:
            bad += 1
    return certs, bad


def load_bundle(path: Path) -> list[x509.Certificate]:
    """The certificates of a bundle; an absent bundle is an empty trust store."""
    return read_store(path)[0] if path.exists() else []


def build_bundle(
    paths: CertPaths,
    *,
    system_store: Path | None = SYSTEM_STORE,
    now: dt.datetime | None = None,
) -> BundleReport:
    """Write `paths.ca_bundle` from the system store, the shipped roots and the admin's."""
    when = now or compat.now_utc()
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    report = BundleReport(path=paths.ca_bundle)
    entries: list[tuple[str, x509.Certificate]] = []
    seen: set[bytes] = set()

    def add(cert: x509.Certificate, source: str) -> bool:
        fp = fingerprint(cert)
        if fp in seen:
            return False
        if compat.not_after(cert) < when:
            report.expired.append(subject_text(cert))
            seen.add(fp)
            return False
        seen.add(fp)
        entries.append((source, cert))
        return True

    if system_store is not None and system_store.exists():
        certs, report.unreadable = read_store(system_store)
        report.from_system = sum(add(c, "system") for c in certs)
    else:
        report.system_store_missing = system_store is not None
    for cert in required_roots():
        if add(cert, "opensbc"):
            report.from_package.append(subject_text(cert))
    if paths.ca_extra.exists():
        extra, _ = read_store(paths.ca_extra)
        report.from_extra = sum(add(c, "admin") for c in extra)
    report.total = len(entries)
    header = (
        f"# OpenSBC trust store, generated at {when:%Y-%m-%d %H:%M} UTC. Do not edit:\n"
        "# add roots with `sbc cert add-ca FILE` (kept in ca-extra.pem), then it is rebuilt.\n"
    )
    atomic_write(paths.ca_bundle, _render(header, entries))
    return report


def _render(header: str, entries: list[tuple[str, x509.Certificate]]) -> bytes:
    out = [header]
    for source, cert in entries:
        out.append(
            f"\n# {subject_text(cert)} ({source}; until {compat.not_after(cert):%Y-%m-%d})\n"
            f"# SHA-256 {fingerprint_text(cert)}\n"
        )
        out.append(cert.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    return "".join(out).encode("utf-8")


@dataclass
class AddCaReport:
    added: list[str]
    already_present: list[str]
    warnings: list[str]
    bundle: BundleReport


def add_ca(
    data: bytes,
    paths: CertPaths,
    *,
    source: str = "the file",
    system_store: Path | None = SYSTEM_STORE,
    now: dt.datetime | None = None,
) -> AddCaReport:
    """Add the CA certificate(s) in `data` to the admin's roots, then rebuild the bundle."""
    when = now or compat.now_utc()
    new = load_certificates(data, source)
    warnings = []
    for cert in new:
        name = subject_text(cert)
        if not is_ca(cert) and not (cert.version == x509.Version.v1 and is_self_signed(cert)):
            raise CertError(
                f"{name} in {source} is not a CA certificate",
                check="ca",
                hint="add the root certificate of the CA, not a server certificate",
            )
        if compat.not_after(cert) < when:
            raise CertError(
                f"{name} in {source} expired on {compat.not_after(cert):%Y-%m-%d}",
                check="validity",
            )
        if not is_self_signed(cert):
            warnings.append(
                f"{name} is an intermediate, not a root: the SBC will trust every "
                "certificate it issued"
            )
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    existing = load_bundle(paths.ca_extra)
    have = {fingerprint(c) for c in existing}
    added, present = [], []
    for cert in new:
        if fingerprint(cert) in have:
            present.append(subject_text(cert))
            continue
        have.add(fingerprint(cert))
        existing.append(cert)
        added.append(subject_text(cert))
    if added:
        header = (
            "# Roots added by the admin (`sbc cert add-ca`); merged into ca.pem on every\n"
            "# rebuild (`sbc cert bundle`).\n"
        )
        atomic_write(paths.ca_extra, _render(header, [("admin", c) for c in existing]))
    report = build_bundle(paths, system_store=system_store, now=when)
    return AddCaReport(added=added, already_present=present, warnings=warnings, bundle=report)
