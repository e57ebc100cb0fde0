"""Build settings: one typed table, filled from defaults, the environment and flags.

The Debian mirror defaults to the one apt on the build host uses, read from its
sources (one-line `.list` and deb822 `.sources` files), so a build behind a local
mirror or proxy needs no extra setting.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from . import reproducible
from .run import die

ROOT = Path(__file__).resolve().parent.parent
# What diskimage-builder's run is made from (the element, the overlay, the web page).
OS_INPUTS = ("appliance/rootfs", "appliance/cockpit")
Compression = Literal["xz", "zstd"]


@dataclass(frozen=True)
class AptSource:
    """One `deb` line of an apt sources file."""

    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    name: str
    version: str
    release: str = "bookworm"
    mirror: str = ""
    security_mirror: str = ""
    compression: Compression = "zstd"
    root_password: str = "omc"
    build_dir: Path = ROOT / "build"
    dist_dir: Path = ROOT / "dist"
    elements_dir: Path = ROOT / "appliance" / "rootfs" / "elements"
    overlay_dir: Path = ROOT / "appliance" / "rootfs" / "overlay"
    # The web console page as built by `make cockpit` (appliance/cockpit/build.js writes
    # dist/opensbc/); the element installs dist/opensbc as /usr/share/cockpit/opensbc.
    cockpit_dir: Path = ROOT / "appliance" / "cockpit" / "dist"
    # The build's fixed clock (reproducible.source_date_epoch: the last commit's time).
    source_date_epoch: int = 0
    # The clock of the cached OS layer: the last commit that touched its inputs, so that
    # a commit that changes only Python sources or docs keeps the cache (rootfs.build_id).
    os_epoch: int = 0
    # `--packages-from`: an earlier build's manifest whose package versions are pinned.
    packages_from: Path | None = None
    # `--cached-rootfs`: build from the cached root filesystem only, never download.
    cached_rootfs: bool = False

    @property
    def cache_dir(self) -> Path:
        return self.build_dir / "cache"

    @property
    def iso_name(self) -> str:
        return f"{self.name}-{self.version}"

    @property
    def left_out_file(self) -> Path:
        return self.elements_dir / "opensbc" / "left-out.yaml"

    def tool_env(self, epoch: int | None = None) -> dict[str, str]:
        """The environment of every build command: the fixed clock, UTC, C locale."""
        return reproducible.tool_env(self.source_date_epoch if epoch is None else epoch)


def parse_one_line(text: str) -> list[AptSource]:
    """Parses one-line style sources: `deb [opts] URI SUITE COMPONENT...`."""
    sources = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        line = re.sub(r"\[[^\]]*\]", " ", line[4:])
        parts = line.split()
        if len(parts) >= 2:
            sources.append(AptSource(parts[0], (parts[1],), tuple(parts[2:])))
    return sources


def parse_deb822(text: str) -> list[AptSource]:
    """Parses deb822 `.sources` stanzas (Types/URIs/Suites/Components)."""
    sources = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for raw in stanza.splitlines():
            if raw.startswith("#"):
                continue
            if raw[:1] in (" ", "\t") and key:
                fields[key] += " " + raw.strip()
            elif ":" in raw:
                key, value = raw.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        suites = tuple(fields.get("suites", "").split())
        components = tuple(fields.get("components", "").split())
        for uri in fields.get("uris", "").split():
            sources.append(AptSource(uri, suites, components))
    return sources


def host_sources(etc_apt: Path = Path("/etc/apt")) -> list[AptSource]:
    """All `deb` sources apt on this host uses."""
    sources: list[AptSource] = []
    main = etc_apt / "sources.list"
    if main.is_file():
        sources += parse_one_line(main.read_text())
    part = etc_apt / "sources.list.d"
    if part.is_dir():
        for path in sorted(part.iterdir()):
            if path.suffix == ".list":
                sources += parse_one_line(path.read_text())
            elif path.suffix == ".sources":
                sources += parse_deb822(path.read_text())
    return sources


def pick_mirrors(sources: Iterable[AptSource], release: str) -> tuple[str, str]:
    """The archive mirror (serving `release` main) and the security mirror."""
    mirror = security = ""
    for src in sources:
        if not mirror and release in src.suites and "main" in src.components:
            mirror = src.uri
        if not security and f"{release}-security" in src.suites:
            security = src.uri
    return mirror.rstrip("/"), security.rstrip("/")


def load(env: Mapping[str, str] | None = None, **overrides: str) -> Settings:
    """Settings from defaults < environment (OPENSBC_*) < explicit overrides."""
    from sbc import __version__

    env = os.environ if env is None else env
    release = overrides.get("release") or env.get("OPENSBC_RELEASE", "bookworm")
    mirror = overrides.get("mirror") or env.get("OPENSBC_MIRROR", "")
    security = overrides.get("security_mirror") or env.get("OPENSBC_SECURITY_MIRROR", "")
    if not mirror or not security:
        host_mirror, host_security = pick_mirrors(host_sources(), release)
        mirror = mirror or host_mirror
        security = security or host_security
    if not mirror:
        raise die(
            f"no Debian mirror found for '{release}' in this host's apt sources",
            "set OPENSBC_MIRROR=http://<mirror>/debian (or pass --mirror)",
        )
    if not security:
        raise die(
            f"no security mirror found for '{release}-security' in this host's apt sources",
            "set OPENSBC_SECURITY_MIRROR=http://<mirror>/debian-security",
        )
    compression = overrides.get("compression") or env.get("OPENSBC_COMPRESSION", "zstd")
    if compression not in ("xz", "zstd"):
        raise die(f"unknown compression '{compression}'", "use xz (smaller) or zstd (faster)")
    build_dir = Path(overrides.get("build_dir") or env.get("OPENSBC_BUILD_DIR") or ROOT / "build")
    packages_from = overrides.get("packages_from") or env.get("OPENSBC_PACKAGES_FROM", "")
    if packages_from and not Path(packages_from).is_file():
        raise die(f"--packages-from {packages_from}: no such file",
                  "pass the .manifest written next to the ISO you want to rebuild")
    return Settings(
        name="opensbc",
        version=__version__,
        release=release,
        mirror=mirror,
        security_mirror=security,
        compression=compression,  # type: ignore[arg-type]
        build_dir=build_dir,
        dist_dir=Path(overrides.get("dist_dir") or env.get("OPENSBC_DIST_DIR") or ROOT / "dist"),
        source_date_epoch=reproducible.source_date_epoch(ROOT, env),
        os_epoch=reproducible.source_date_epoch(ROOT, env, OS_INPUTS),
        packages_from=Path(packages_from).resolve() if packages_from else None,
        cached_rootfs=bool(overrides.get("cached_rootfs")),
    )
