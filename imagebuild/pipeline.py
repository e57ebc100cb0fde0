"""The build pipeline: rootfs -> squashfs -> boot images -> ISO -> dist/ outputs."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from . import bootimg, iso, outputs, rootfs, squash
from .settings import Settings
from .steps import StepTimes

log = logging.getLogger("build")

STEPS = ("rootfs", "squashfs", "boot", "iso")


def build(settings: Settings, until: str = "iso") -> Path | None:
    """Runs the steps in order up to and including `until`; returns the ISO path."""
    times = StepTimes()
    log.info("building %s (%s)", settings.iso_name, settings.compression)
    iso_tree = settings.build_dir / "iso"
    try:
        with times.step("rootfs"):
            tree = rootfs.prepare(settings)
        if until == "rootfs":
            return None
        shutil.rmtree(iso_tree, ignore_errors=True)
        with times.step("squashfs"):
            squash.build(settings, tree, iso_tree)
        if until == "squashfs":
            return None
        with times.step("boot"):
            bootimg.build(settings, tree, iso_tree)
        if until == "boot":
            return None
        with times.step("iso"):
            out = settings.dist_dir / f"{settings.iso_name}.iso"
            iso.build(settings, iso_tree, out)
            outputs.sha256_file(out)
            outputs.manifest(tree, settings.dist_dir / f"{settings.iso_name}.manifest")
        log.info("wrote %s (%.0f MB)", out, out.stat().st_size / 1e6)
        return out
    finally:
        log.info(times.summary())
