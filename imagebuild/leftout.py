"""What the image leaves out, and why: one table (the element's left-out.yaml) that the
element's scripts act on and the package manifest repeats, so the two never disagree."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .run import die


@dataclass(frozen=True)
class LeftOut:
    """Packages to purge and paths (globs) to delete, each with the reason."""

    packages: dict[str, str]
    paths: dict[str, str]

    def stage(self, out: Path) -> None:
        """One name per line, for the element's bash scripts."""
        (out / "leave-out.packages").write_text("".join(f"{p}\n" for p in self.packages))
        (out / "leave-out.paths").write_text("".join(f"{p}\n" for p in self.paths))

    def manifest_lines(self) -> list[str]:
        """Comment lines for dist/*.manifest: every removal with its reason."""
        lines = ["# Left out of the image (appliance/rootfs/elements/opensbc/left-out.yaml):"]
        lines += [f"#   package {name}: {why}" for name, why in self.packages.items()]
        lines += [f"#   path {path}: {why}" for path, why in self.paths.items()]
        lines.append("#   and the packages only these pulled in (apt-get purge --auto-remove).")
        return lines


def load(path: Path) -> LeftOut:
    """Reads left-out.yaml; a path outside /usr, or a reason missing, fails the build."""
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise die(f"cannot read {path}: {exc}", "fix the YAML in the element") from exc
    packages, paths = (
        {str(k): " ".join(str(v or "").split()) for k, v in (data.get(key) or {}).items()}
        for key in ("packages", "paths"))
    for name, why in {**packages, **paths}.items():
        if not why:
            raise die(f"{path}: '{name}' has no reason", "say why it is left out")
    for glob in paths:
        if not glob.startswith("/usr/") or ".." in glob or " " in glob:
            raise die(f"{path}: path '{glob}' must be an absolute glob under /usr/ without "
                      "spaces or '..'", "the trim script deletes it with rm -rf")
    return LeftOut(packages, paths)
