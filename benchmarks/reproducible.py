"""Same ISO from the same inputs: the whole pipeline, diskimage-builder included, twice.

Each build starts with no caches at all (debootstrap and apt download everything from
the host's mirror again), so nothing from the first build can carry over into the
second. A third build pins every package to the first build's manifest
(`--packages-from`), as a rebuild of a release would. The three sha256 must agree;
when they do not, the report names the ISO parts that differ. `make test` checks the
steps after the download on every run (tests/boot/test_iso_image.py).
"""

from __future__ import annotations

import filecmp
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from .image import remove_build_caches, timed
from .report import ROOT, write_section

BUILD, DIST = ROOT / "build", ROOT / "dist"
KEEP = BUILD / "bench-reproducible"


def cold_build(label: str, *args: str) -> tuple[str, float, Path]:
    """One build with every cache removed; returns its sha256, duration and ISO parts."""
    remove_build_caches()
    took = timed([sys.executable, "build.py", *args])
    iso = next(DIST.glob("opensbc-*.iso"))
    digest = hashlib.sha256(iso.read_bytes()).hexdigest()
    parts = KEEP / label
    shutil.rmtree(parts, ignore_errors=True)
    shutil.copytree(BUILD / "iso", parts)
    shutil.copy2(iso.with_suffix(".manifest"), KEEP / f"{label}.manifest")
    return digest, took, parts


def differing_parts(one: Path, two: Path) -> list[str]:
    names = sorted(str(p.relative_to(one)) for p in one.rglob("*") if p.is_file())
    return [n for n in names if not (two / n).is_file()
            or not filecmp.cmp(one / n, two / n, shallow=False)]


def main() -> int:
    KEEP.mkdir(parents=True, exist_ok=True)
    first, t1, parts1 = cold_build("first")
    second, t2, parts2 = cold_build("second")
    pinned, t3, parts3 = cold_build("pinned", "--packages-from", str(KEEP / "first.manifest"))
    same = first == second == pinned
    rows = [("first", first, t1, "–"),
            ("second", second, t2, ", ".join(differing_parts(parts1, parts2)) or "none"),
            ("pinned to the first's manifest", pinned, t3,
             ", ".join(differing_parts(parts1, parts3)) or "none")]
    table = "\n".join(f"| {label} | `{digest[:16]}…` | {took:.0f} s | {diff} |"
                      for label, digest, took, diff in rows)
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    body = f"""
Command: `make bench` (runs `python -m benchmarks reproducible`), at commit {commit}.
Three builds of the same commit, each with every cache removed first (debootstrap and
apt download everything again from the host's mirror); the third pins every package to
the first build's manifest (`--packages-from`).

| build | sha256 | time | ISO parts that differ from the first |
|---|---|---|---|
{table}

Result: {"**the same ISO, byte for byte, all three times**" if same else "**the ISOs differ**"}.
"""
    write_section("reproducible", body)
    print(body)
    return 0 if same else 1
