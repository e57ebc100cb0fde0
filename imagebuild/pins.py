"""`--packages-from MANIFEST`: the package versions of an earlier build, pinned for apt,
and checked after the build, so a release can be rebuilt later or the build fails
naming each package the mirror no longer has in that version.

Old versions leave Debian's mirrors; snapshot.debian.org keeps them, so a later rebuild
passes `--mirror https://snapshot.debian.org/archive/debian/<time>` with the manifest.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .run import die

SNAPSHOT_HINT = (
    "the mirror no longer has these versions: rebuild against a snapshot of the day of "
    "the release, e.g. --mirror https://snapshot.debian.org/archive/debian/20261206T000000Z "
    "--security-mirror https://snapshot.debian.org/archive/debian-security/20261206T000000Z"
)


# What apt reads through APT_CONFIG in the image's chroot (the element's environment.d);
# the file stays in the staging folder, so the image's /etc is the same with or without.
APT_CONF = 'Dir::Etc::Preferences "/tmp/in_target.d/opensbc/pins.pref";\n'


def read_manifest(path: Path) -> dict[str, str]:
    """package -> version from a dist/*.manifest (tab-separated; # starts a comment)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise die(f"cannot read the package manifest {path}: {exc}",
                  "pass the .manifest written next to the ISO you want to rebuild") from exc
    versions: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 2 or not fields[0] or not fields[1]:
            raise die(f"{path}:{number}: expected 'package<TAB>version<TAB>arch', got {line!r}",
                      "pass the .manifest written next to the ISO you want to rebuild")
        versions[fields[0]] = fields[1]
    if not versions:
        raise die(f"{path} lists no packages", "pass the .manifest written next to the ISO")
    return versions


def digest(path: Path) -> str:
    """What the pins add to the root filesystem's cache key."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def preferences(versions: dict[str, str]) -> str:
    """An apt preferences file holding every package at its version (priority 1001 also
    downgrades what debootstrap installed newer)."""
    stanzas = [f"Package: {name}\nPin: version {version}\nPin-Priority: 1001\n"
               for name, version in sorted(versions.items())]
    return "\n".join(stanzas)


def differences(wanted: dict[str, str], built: dict[str, str]) -> list[str]:
    """Each package whose built version differs from the manifest, or is in only one."""
    problems = []
    for name in sorted(wanted.keys() | built.keys()):
        want, got = wanted.get(name), built.get(name)
        if want == got:
            continue
        if got is None:
            problems.append(f"{name}: {want} in the manifest, not in this build")
        elif want is None:
            problems.append(f"{name}: {got} in this build, not in the manifest")
        else:
            problems.append(f"{name}: {got} built, {want} in the manifest")
    return problems


def check(manifest: Path, built: dict[str, str]) -> None:
    """Fails the build when it did not get the manifest's versions."""
    problems = differences(read_manifest(manifest), built)
    if problems:
        shown = "\n  ".join(problems[:25])
        more = f"\n  ... and {len(problems) - 25} more" if len(problems) > 25 else ""
        raise die(f"the build does not match {manifest} in {len(problems)} packages:\n  "
                  f"{shown}{more}", SNAPSHOT_HINT)
