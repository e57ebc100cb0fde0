"""The build pipeline: rootfs -> squashfs -> boot images -> ISO -> dist/ outputs."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from . import bootimg, iso, leftout, outputs, pins, reproducible, rootfs, squash
from .settings import Settings
from .steps import StepTimes

log = logging.getLogger("build")

STEPS = ("rootfs", "squashfs", "boot", "iso")


def build(settings: Settings, until: str = "iso") -> Path | None:
    """Runs the steps in order up to and including `until`; returns the ISO path."""
    times = StepTimes()
    log.info("building %s (%s, SOURCE_DATE_EPOCH=%d, OS layer's %d)", settings.iso_name,
             settings.compression, settings.source_date_epoch, settings.os_epoch)
    iso_tree = settings.build_dir / "iso"
    try:
        with times.step("rootfs"):
            tree = rootfs.prepare(settings)
            rows = outputs.packages(tree)
            if settings.packages_from:
                pins.check(settings.packages_from, {name: version for name, version, _ in rows})
                log.info("rootfs: every package at the version %s names",
                         settings.packages_from)
            removed = reproducible.normalize(tree)
            log.info("rootfs: removed %d files that differ from build to build", len(removed))
            log.debug("removed: %s", " ".join(removed))
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
            digest = outputs.sha256_file(out)
            outputs.manifest(rows, settings.dist_dir / f"{settings.iso_name}.manifest",
                             leftout.load(settings.left_out_file))
        log.info("wrote %s (%.0f MB)", out, out.stat().st_size / 1e6)
        # The line `sha256sum` prints, so a published ISO can be checked against a rebuild.
        print(f"{digest}  {out}", flush=True)
        return out
    finally:
        log.info(times.summary())
