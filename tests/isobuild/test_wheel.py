"""The wheel the image installs carries the data files the code reads at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from imagebuild.settings import ROOT


def test_wheel_ships_templates_profiles_and_roots(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
    )
    (wheel,) = tmp_path.glob("opensbc-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "installer/templates/fstab.j2",
        "installer/templates/grub-default.j2",
        "sbc/profiles/teams-generic.yaml",
        "sbc/profiles/telekom-deutschlandlan.yaml",
        "sbc/certs/data/DigiCert_Global_Root_G2.pem",
        "firstboot/templates/ethernet.nmconnection.j2",
        "sbc/firewall/templates/opensbc.nft.j2",
    ):
        assert needed in names, f"{needed} is missing from {wheel.name}"
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))
    ).decode()
    for script in ("sbc = sbc.cli:main", "opensbc-install = installer.main:main"):
        assert script in entry_points
