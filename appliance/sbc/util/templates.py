"""The one way the project renders its jinja2 templates (configs, not HTML).

    _templates = Templates.beside(__file__)          # the module's templates/ folder
    text = _templates.render("fstab.j2", root_uuid=...)

The settings every template is written for: a missing value is an error naming it
(StrictUndefined) instead of an empty string in a config file, the file's last newline
is kept, nothing is HTML-escaped, and the newline after a block tag ({% ... %}) is
dropped (trim_blocks) while the indentation before it is kept (no lstrip_blocks).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2


def environment(folder: str | os.PathLike[str]) -> jinja2.Environment:
    """A jinja2 Environment over the templates in `folder`, with the common settings."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(folder)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=False,
        autoescape=False,
    )


class Templates:
    """The templates of one folder; `render` fills one in."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.env = environment(self.folder)

    @classmethod
    def beside(cls, module_file: str | os.PathLike[str]) -> Templates:
        """The `templates` folder next to a module: `Templates.beside(__file__)`."""
        return cls(Path(module_file).parent / "templates")

    def render(self, name: str, /, **values: Any) -> str:
        """The text of template `name` with `values`; jinja2.UndefinedError, naming the
        template and the missing value, when the template uses one it was not given."""
        template = self.env.get_template(name)
        try:
            return template.render(**values)
        except jinja2.UndefinedError as exc:
            raise jinja2.UndefinedError(f"template {name}: {exc}") from exc
