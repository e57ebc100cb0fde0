"""Port 80 open in nftables only while an HTTP-01 challenge is pending.

The appliance's firewall (`sbc.firewall`, table `inet opensbc`, input policy drop) is
rendered from sbc.yaml and replaced whenever the configuration changes, so this module
does not touch it. It loads a table of its own whose chain runs before the firewall's
and marks new connections to the challenge port; the firewall accepts packets with that
mark. Without this table nothing carries the mark, so port 80 is closed:

    table inet opensbc_acme {
        chain input {
            type filter hook input priority filter - 10; policy accept;
            tcp dport 80 meta mark set 0x00004143
        }
    }

`port_open()` loads it and deletes it again on the way out, whatever happened (a crash
of the command itself leaves it until the next run, which replaces and deletes it).
The nft command is $OPENSBC_NFT when set (tests: a stand-in, `ip netns exec NS nft`),
else `nft`.
"""

from __future__ import annotations

import contextlib
import os
import shlex
from collections.abc import Callable, Iterator

from ...firewall.nft import run_nft

TABLE = "opensbc_acme"
MARK = 0x4143  # "AC"; the firewall's input chain accepts `meta mark 0x00004143`
NFT_ENV = "OPENSBC_NFT"

# What opens the HTTP-01 port around the challenge server (tests may pass another).
PortOpener = Callable[[int], contextlib.AbstractContextManager[None]]


def nft_command() -> list[str]:
    return shlex.split(os.environ.get(NFT_ENV) or "nft")


def ruleset(port: int) -> str:
    """The table, replacing one a killed run left behind (`table` then `delete table`)."""
    return (
        f"table inet {TABLE}\n"
        f"delete table inet {TABLE}\n"
        f"table inet {TABLE} {{\n"
        f"\tchain input {{\n"
        f"\t\ttype filter hook input priority filter - 10; policy accept;\n"
        f'\t\ttcp dport {port} meta mark set 0x{MARK:08x} comment "ACME HTTP-01, '
        f'sbc cert acme"\n'
        f"\t}}\n"
        f"}}\n"
    )


def open_port(port: int) -> None:
    run_nft([*nft_command(), "-f", "-"], what=f"opening port {port} for ACME HTTP-01",
            input=ruleset(port))


def close_port() -> None:
    run_nft([*nft_command(), "delete", "table", "inet", TABLE],
            what="closing the ACME HTTP-01 port")


@contextlib.contextmanager
def port_open(port: int) -> Iterator[None]:
    """Port `port` reachable from outside for the `with` body, closed afterwards."""
    open_port(port)
    try:
        yield
    finally:
        close_port()
