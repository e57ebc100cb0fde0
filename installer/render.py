"""Files the installer writes into the target, rendered from jinja2 templates."""

from __future__ import annotations

from dataclasses import dataclass

from sbc.util.templates import Templates

# The screen stays the primary console (/dev/console) for Hyper-V's viewer; the
# kernel also logs to ttyS0 where a serial-getty waits.
KERNEL_CONSOLES = "console=ttyS0,115200n8 console=tty0"

_templates = Templates.beside(__file__)


@dataclass(frozen=True)
class FsUuids:
    root: str
    esp: str
    data: str


def fstab(uuids: FsUuids) -> str:
    return _templates.render("fstab.j2", root_uuid=uuids.root, esp_uuid=uuids.esp,
                             data_uuid=uuids.data)


def grub_default(product: str = "OpenSBC", timeout: int = 2) -> str:
    return _templates.render("grub-default.j2", product=product, timeout=timeout,
                             cmdline=KERNEL_CONSOLES)
