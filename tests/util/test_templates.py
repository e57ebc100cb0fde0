"""sbc.util.templates: the one jinja2 set-up every template of the project uses."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from sbc.util.templates import Templates, environment


def folder(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_missing_value_raises_naming_template_and_variable(tmp_path: Path) -> None:
    t = Templates(folder(tmp_path, **{"a.j2": "UUID={{ root_uuid }}\n"}))
    with pytest.raises(jinja2.UndefinedError) as err:
        t.render("a.j2", esp_uuid="x")
    assert "'root_uuid' is undefined" in str(err.value)
    assert "a.j2" in str(err.value)


def test_missing_attribute_raises_too(tmp_path: Path) -> None:
    t = Templates(folder(tmp_path, **{"a.j2": "{{ plan.table }}\n"}))
    with pytest.raises(jinja2.UndefinedError, match="table"):
        t.render("a.j2", plan=object())


def test_missing_value_in_a_test_raises(tmp_path: Path) -> None:
    t = Templates(folder(tmp_path, **{"a.j2": "{% if flag %}x{% endif %}\n"}))
    with pytest.raises(jinja2.UndefinedError, match="'flag' is undefined"):
        t.render("a.j2")


def test_trailing_newline_kept_no_escaping_blocks_trimmed(tmp_path: Path) -> None:
    text = ("a <{{ v }}> & \"q\"\n"
            "{% for x in xs %}\n"
            "    - {{ x }}\n"
            "    {% if x == 2 %}\n"
            "    two\n"
            "    {% endif %}\n"
            "{% endfor %}\n"
            "end\n\n")
    t = Templates(folder(tmp_path, **{"a.j2": text}))
    got = t.render("a.j2", v="<b>&", xs=[1, 2])
    # trim_blocks drops the newline after a block tag; without lstrip_blocks the
    # indentation before an indented tag stays (the firewall ruleset relies on both).
    assert got == ("a <<b>&> & \"q\"\n"
                   "    - 1\n"
                   "        - 2\n"
                   "        two\n"
                   "    end\n\n")


def test_beside_finds_the_modules_templates_folder(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    folder(tmp_path / "templates", **{"x.j2": "{{ n }}\n"})
    t = Templates.beside(tmp_path / "module.py")
    assert t.folder == tmp_path / "templates"
    assert t.render("x.j2", n=7) == "7\n"


def test_environment_settings() -> None:
    env = environment("/nonexistent")
    assert env.undefined is jinja2.StrictUndefined
    assert env.keep_trailing_newline and env.trim_blocks and not env.lstrip_blocks
    assert env.autoescape is False


def test_every_template_of_the_project_loads() -> None:
    root = Path(__file__).resolve().parents[2]
    folders = [root / "installer/templates", root / "firstboot/templates",
               root / "imagebuild/templates", root / "appliance/sbc/firewall/templates",
               root / "appliance/sbc/media/templates"]
    for where in folders:
        t = Templates(where)
        for path in where.glob("*.j2"):
            t.env.get_template(path.name)  # parses with the common settings
