"""SBC configs for the firewall tests, made from the shipped example."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples/appliance.yaml"
DEFAULT_LISTEN = """  listen:
    - {transport: udp, port: 5060}
    - {transport: tcp, port: 5060}
    - {transport: tls, port: 5061}   # "SIP TLS port": Teams connects here
"""


def with_listen(listen: str) -> str:
    """examples/appliance.yaml with its `listen:` block replaced."""
    text = EXAMPLE.read_text()
    assert DEFAULT_LISTEN in text
    return text.replace(DEFAULT_LISTEN, listen)


def write(directory: Path, text: str, name: str = "sbc.yaml") -> Path:
    path = directory / name
    path.write_text(text)
    return path


def with_allowlists(carrier: str, admins: str | None = None) -> str:
    """examples/appliance.yaml with the carrier's allowlist (Teams has its own) and,
    optionally, `sbc.admin_allowlist`."""
    text = EXAMPLE.read_text()
    marker = "    # transport: tls               # only if TLS was ordered\n"
    assert marker in text
    text = text.replace(marker, f"    allowlist: {carrier}\n")
    if admins is not None:
        text = text.replace("  options_interval: 60\n",
                            f"  options_interval: 60\n  admin_allowlist: {admins}\n")
    return text
