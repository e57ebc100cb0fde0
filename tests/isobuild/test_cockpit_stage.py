"""The image takes the web console page as built (appliance/cockpit/dist/opensbc), and
the rootfs cache digest follows the built files."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagebuild.rootfs import cockpit_page, os_digest
from imagebuild.run import BuildError
from imagebuild.settings import ROOT, Settings

ELEMENT = ROOT / "appliance/rootfs/elements/opensbc/install.d/60-opensbc-system"


def page(tmp_path: Path, js: str = "console.log(1)") -> Path:
    built = tmp_path / "dist/opensbc"
    built.mkdir(parents=True, exist_ok=True)
    for name, text in (("index.html", "<html></html>"), ("manifest.json", "{}"),
                       ("index.css", ""), ("index.js", js)):
        (built / name).write_text(text)
    return tmp_path / "dist"


def test_default_is_the_build_output() -> None:
    settings = Settings(name="opensbc", version="0")
    assert settings.cockpit_dir == ROOT / "appliance/cockpit/dist"
    # stage() copies cockpit_dir to <stage>/cockpit; the element installs its opensbc/
    assert 'cp -a "$stage/cockpit/opensbc/." /usr/share/cockpit/opensbc/' in ELEMENT.read_text()


def test_unbuilt_page_stops_the_build(tmp_path: Path) -> None:
    settings = Settings(name="opensbc", version="0", cockpit_dir=tmp_path / "dist")
    with pytest.raises(BuildError) as err:
        os_digest(settings)
    assert "the web console page is not built" in str(err.value)
    assert "make cockpit" in str(err.value.hint)


def test_digest_follows_the_built_page(tmp_path: Path) -> None:
    settings = Settings(name="opensbc", version="0", cockpit_dir=page(tmp_path))
    assert cockpit_page(settings) == tmp_path / "dist/opensbc"
    first = os_digest(settings)
    assert os_digest(settings) == first
    page(tmp_path, js="console.log(2)")
    assert os_digest(settings) != first
