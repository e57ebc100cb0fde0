"""Step 5: what dist/ holds besides the ISO: its sha256 and the package manifest."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .leftout import LeftOut
from .run import run


def sha256_file(iso: Path) -> str:
    """Writes <iso>.sha256 (the format `sha256sum -c` reads); returns the digest."""
    h = hashlib.sha256()
    with iso.open("rb") as f:
        for block in iter(lambda: f.read(4 * 1024 * 1024), b""):
            h.update(block)
    iso.with_name(iso.name + ".sha256").write_text(f"{h.hexdigest()}  {iso.name}\n")
    return h.hexdigest()


def packages(tree: Path) -> list[tuple[str, str, str]]:
    """(package, version, architecture) of every Debian package in the image, sorted,
    read from its dpkg database."""
    result = run(
        ["dpkg-query", f"--admindir={tree / 'var/lib/dpkg'}", "-W",
         "-f", "${Package}\t${Version}\t${Architecture}\n"],
        capture=True, hint="dpkg-query reads the image's dpkg database",
    )
    rows = (line.split("\t") for line in result.stdout.splitlines() if line)
    return sorted((r[0], r[1], r[2]) for r in rows if len(r) == 3)


def manifest(rows: list[tuple[str, str, str]], out: Path, left_out: LeftOut) -> Path:
    """The package list (what `--packages-from` reads back), then what was left out."""
    lines = ["# package\tversion\tarchitecture", *("\t".join(row) for row in rows),
             *left_out.manifest_lines()]
    out.write_text("\n".join(lines) + "\n")
    return out
