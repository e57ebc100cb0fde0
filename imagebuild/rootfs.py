"""Step 1: the root filesystem, built by diskimage-builder as a tar and unpacked.

diskimage-builder's raw/qcow2 outputs need device-mapper, which these build hosts
lack, so the build asks for `-t tar` and unpacks it. DIB tars the tree while the
host's /dev is still bind-mounted, so /dev is left out when unpacking.

Caching: the tar is kept under a key made of the OS inputs (elements, overlay,
release, mirrors). When only the project's Python sources changed, the cached tree
gets the new wheel through the element's own install script, run in a chroot, instead
of a full diskimage-builder run.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

from passlib.hash import sha512_crypt

from . import leftout, pins, reproducible
from .run import ROOT_HINT, die, run
from .settings import ROOT, Settings

log = logging.getLogger("build")

PYTHON_SOURCES = ("appliance/sbc", "installer", "firstboot", "pyproject.toml")
WHEEL_SCRIPT = "opensbc/install.d/50-opensbc-python"
DIB_HINT = (
    "read the diskimage-builder output above; a failing apt step usually means the "
    "mirror is unreachable (set OPENSBC_MIRROR); 'make clean' drops stale caches"
)


def _digest(keys: Iterable[str], tops: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for key in keys:
        h.update(key.encode() + b"\0")
    for base in tops:
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            h.update(str(name).encode() + b"\0")
            h.update(oct(path.stat().st_mode & 0o111).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


COCKPIT_PAGE = "opensbc/index.js"  # under settings.cockpit_dir, written by build.js


def cockpit_page(settings: Settings) -> Path:
    """The built web console page; the build stops here when it is not there."""
    page = settings.cockpit_dir / COCKPIT_PAGE
    if not page.is_file():
        raise die(f"the web console page is not built: {page} is missing",
                  hint="run `make cockpit` (npm ci and node build.js in appliance/cockpit); "
                  "`make iso` does it first")
    return page.parent


def build_id(settings: Settings) -> str:
    """What the OS layer is made of, named in /etc/opensbc/release (the built page, not
    its sources: a page change rebuilds the OS layer, a rebuild with the same output does
    not). The mirror URLs and pins are not part of it: a rebuild from a snapshot mirror
    that gets the same package versions is the same build, byte for byte."""
    cockpit_page(settings)
    keys = (settings.release, settings.version, settings.root_password, str(settings.os_epoch))
    return _digest(keys, (settings.elements_dir, settings.overlay_dir, settings.cockpit_dir))


def os_digest(settings: Settings) -> str:
    """The cache key of the diskimage-builder run: the build, where it downloads from and
    which versions it asks for."""
    pinned = pins.digest(settings.packages_from) if settings.packages_from else ""
    key = "\0".join((build_id(settings), settings.mirror, settings.security_mirror, pinned))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def python_digest() -> str:
    """What the project's wheel depends on."""
    return _digest((), (ROOT / top for top in PYTHON_SOURCES))


def build_wheel(settings: Settings, out: Path) -> Path:
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, ROOT],
        env=settings.tool_env(), hint="the project's wheel did not build: check pyproject.toml")
    wheels = sorted(out.glob("opensbc-*.whl"))
    return wheels[-1]


def root_hash(settings: Settings) -> str:
    """root's SHA-512 crypt hash, with a salt derived from the release and the build's
    clock instead of a random one, so that two builds of one commit are the same bytes.
    The password is the published default, which the first-boot wizard replaces."""
    seed = f"{settings.name}-{settings.version}-{settings.os_epoch}".encode()
    salt = hashlib.sha256(seed).hexdigest()[:16]
    return str(sha512_crypt.using(salt=salt).hash(settings.root_password))


def stage(settings: Settings, digest: str) -> Path:
    """The folder the element reads: wheel, overlay, root hash, release file, what to
    leave out, and the pinned package versions when asked for."""
    out = settings.build_dir / "stage"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    build_wheel(settings, out)
    shutil.copytree(settings.overlay_dir, out / "overlay", symlinks=True)
    shutil.copytree(settings.cockpit_dir, out / "cockpit", symlinks=True)
    leftout.load(settings.left_out_file).stage(out)
    if settings.packages_from:
        versions = pins.read_manifest(settings.packages_from)
        (out / "pins.pref").write_text(pins.preferences(versions))
        (out / "apt-pins.conf").write_text(pins.APT_CONF)
    (out / "root.hash").write_text(root_hash(settings) + "\n")
    (out / "release").write_text(
        f"NAME={settings.name}\nVERSION={settings.version}\nBUILD={digest}\n"
    )
    reproducible.set_times(out, settings.os_epoch)
    return out


def build_tar(settings: Settings) -> tuple[Path, str]:
    """The rootfs tar for these OS inputs and the Python digest baked into it."""
    cache = settings.cache_dir
    cache.mkdir(parents=True, exist_ok=True)
    digest = os_digest(settings)
    tar, baked = cache / f"rootfs-{digest}.tar", cache / f"rootfs-{digest}.python"
    if tar.exists() and baked.exists():
        log.info("rootfs: OS layer %s from the cache", digest)
        return tar, baked.read_text().strip()
    if settings.cached_rootfs:
        raise die(f"no cached root filesystem for these inputs ({tar.name} in {cache})",
                  "build once without --cached-rootfs (the same commit, mirrors and pins)")
    for old in cache.glob("rootfs-*"):
        old.unlink()
    py = python_digest()
    staged = stage(settings, build_id(settings))
    env = settings.tool_env(settings.os_epoch)
    env.update(
        ELEMENTS_PATH=str(settings.elements_dir),
        DIB_RELEASE=settings.release,
        DIB_DISTRIBUTION_MIRROR=settings.mirror,
        DIB_DEBIAN_SECURITY_MIRROR=settings.security_mirror,
        DIB_IMAGE_CACHE=str(cache / "dib"),
        DIB_DEBOOTSTRAP_CACHE="1",
        DIB_DEBIAN_USE_DEBOOTSTRAP_CACHE="1",
        DIB_OPENSBC_STAGE=str(staged),
        TMPDIR=str(settings.build_dir / "tmp"),
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
    )
    (settings.build_dir / "tmp").mkdir(parents=True, exist_ok=True)
    out = cache / f"dib-{digest}"
    run(["disk-image-create", "--no-tmpfs", "-t", "tar", "-o", out, "debian-minimal", "opensbc"],
        env=env, stream=True, hint=DIB_HINT)
    Path(f"{out}.tar").rename(tar)
    shutil.rmtree(f"{out}.d", ignore_errors=True)
    baked.write_text(py + "\n")
    return tar, py


def unpack(settings: Settings, tar: Path) -> Path:
    """Unpacks the rootfs tar, leaving out the host's /dev that DIB captured."""
    tree = settings.build_dir / "rootfs"
    if tree.exists():
        run(["rm", "-rf", "--one-file-system", tree], hint=ROOT_HINT)
    tree.mkdir(parents=True)
    run(["tar", "-xpf", tar, "-C", tree, "--numeric-owner", "--exclude=./dev/*"],
        hint=ROOT_HINT)
    for sub in ("proc", "sys", "dev", "run", "tmp"):
        (tree / sub).mkdir(exist_ok=True)
    return tree


def refresh_python(settings: Settings, tree: Path) -> None:
    """Replaces the project's wheel in an unpacked tree, with the element's own script."""
    site = tree / "usr/local/lib/python3.11/dist-packages"
    for record in site.glob("opensbc-*.dist-info/RECORD"):
        for line in record.read_text().splitlines():
            rel = line.split(",")[0]
            target = (site / rel).resolve()
            if target.is_relative_to(tree) and target.is_file():
                target.unlink()
        shutil.rmtree(record.parent)
    stage_dir = tree / "tmp/opensbc-stage"
    shutil.rmtree(stage_dir, ignore_errors=True)
    stage_dir.mkdir(parents=True)
    build_wheel(settings, stage_dir)
    script = stage_dir / "install-wheel"
    shutil.copy2(settings.elements_dir / WHEEL_SCRIPT, script)
    reproducible.set_times(stage_dir, settings.source_date_epoch)
    run(["chroot", tree, "env", "OPENSBC_STAGE=/tmp/opensbc-stage", "/bin/bash",
         "/tmp/opensbc-stage/install-wheel"], env=settings.tool_env(), hint=ROOT_HINT)
    shutil.rmtree(stage_dir)


def prepare(settings: Settings) -> Path:
    """The unpacked rootfs with the current Python package in it."""
    tar, baked = build_tar(settings)
    tree = unpack(settings, tar)
    current = python_digest()
    if baked != current:
        log.info("rootfs: Python sources changed since the cached build; reinstalling the wheel")
        refresh_python(settings, tree)
    return tree
