"""Step 5: what dist/ holds besides the ISO: its sha256 and the package manifest."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .run import run


def sha256_file(iso: Path) -> Path:
    h = hashlib.sha256()
    with iso.open("rb") as f:
        for block in iter(lambda: f.read(4 * 1024 * 1024), b""):
            h.update(block)
    out = iso.with_name(iso.name + ".sha256")
    # The format `sha256sum -c` reads.
    out.write_text(f"{h.hexdigest()}  {iso.name}\n")
    return out


def manifest(tree: Path, out: Path) -> Path:
    """Every Debian package in the image with its version, read from its dpkg database."""
    result = run(
        ["dpkg-query", f"--admindir={tree / 'var/lib/dpkg'}", "-W",
         "-f", "${Package}\t${Version}\t${Architecture}\n"],
        capture=True, hint="dpkg-query reads the image's dpkg database",
    )
    rows = sorted(line for line in result.stdout.splitlines() if line)
    out.write_text("# package\tversion\tarchitecture\n" + "\n".join(rows) + "\n")
    return out
