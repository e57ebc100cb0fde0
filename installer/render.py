"""Files the installer writes into the target, rendered from jinja2 templates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

# The screen stays the primary console (/dev/console) for Hyper-V's viewer; the
# kernel also logs to ttyS0 where a serial-getty waits.
KERNEL_CONSOLES = "console=ttyS0,115200n8 console=tty0"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)


@dataclass(frozen=True)
class FsUuids:
    root: str
    esp: str
    data: str


def fstab(uuids: FsUuids) -> str:
    return _env.get_template("fstab.j2").render(
        root_uuid=uuids.root, esp_uuid=uuids.esp, data_uuid=uuids.data
    )


def grub_default(product: str = "OpenSBC", timeout: int = 2) -> str:
    return _env.get_template("grub-default.j2").render(
        product=product, timeout=timeout, cmdline=KERNEL_CONSOLES
    )
