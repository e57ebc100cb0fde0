"""ISO figures: size, cold and warm build time, install and boot-to-login under TCG.

Cold: the build caches are removed first (diskimage-builder, debootstrap, rootfs);
the apt mirror is the host's. Warm: the same build again with nothing changed.
Install and boot times come from the boot tests (tests/boot), which record them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

from .report import ROOT, write_section

TIMES = ROOT / "build" / "boot-tests" / "times.json"


def remove_build_caches() -> None:
    """Empties the diskimage-builder, debootstrap and rootfs caches: the next build is cold."""
    for sub in ("build/cache", "build/rootfs", "build/stage", "build/iso"):
        shutil.rmtree(ROOT / sub, ignore_errors=True)


def timed(cmd: list[str]) -> float:
    start = time.monotonic()
    subprocess.run(cmd, cwd=ROOT, check=True)
    return time.monotonic() - start


def main() -> int:
    remove_build_caches()
    cold = timed([sys.executable, "build.py"])
    warm = timed([sys.executable, "build.py"])
    xz = timed([sys.executable, "build.py", "--compression", "xz"])
    iso = next((ROOT / "dist").glob("opensbc-*.iso"))
    xz_size = iso.stat().st_size
    timed([sys.executable, "build.py"])  # back to the default (zstd) ISO for the boot tests
    size = iso.stat().st_size
    TIMES.unlink(missing_ok=True)
    boot = timed([sys.executable, "-m", "pytest", "-m", "boot", "-q", "tests/boot"])
    figures = json.loads(TIMES.read_text())

    def fig(key: str) -> str:
        return f"{figures[key]:.0f} s" if key in figures else "n/a"

    rows = [
        ("ISO start to installer running", "iso_boot_to_installer_s"),
        ("install (disk chosen to done)", "install_s"),
        ("disk start to login prompt", "boot_to_login_s"),
        ("ISO attached: start to the installed system's login", "boot_to_login_s_with_iso"),
        ("upgrade (disk chosen to done)", "upgrade_s"),
    ]
    vm_table = "\n".join(
        f"| {label} | {fig('gen1.' + key)} | {fig('gen2.' + key)} |" for label, key in rows
    )
    body = f"""
Command: `make bench` (runs `python -m benchmarks image`).

| figure | value |
|---|---|
| ISO size, zstd (default) | {size / 1e6:.0f} MB (goal: at most 250 MB) |
| ISO size, xz (`--compression xz`) | {xz_size / 1e6:.0f} MB |
| cold build (no caches), zstd | {cold:.0f} s |
| warm build (nothing changed) | {warm:.0f} s |
| build with xz, OS layer cached | {xz:.0f} s |
| the whole boot test suite | {boot:.0f} s |

| under QEMU TCG, 2 vCPUs | Gen 1 stand-in (SeaBIOS, IDE) | Gen 2 stand-in (OVMF, Secure Boot) |
|---|---|---|
{vm_table}
"""
    write_section("image", body)
    print(body)
    return 0
