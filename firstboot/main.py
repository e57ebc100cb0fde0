"""`firstboot`: the console set-up wizard (placeholder until its own issue lands).

For now it prints the addresses this machine has and the web console URL, so the
admin who logs in on the console knows where to go next.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys


def addresses() -> list[str]:
    """IPv4 addresses of the up interfaces, loopback excluded."""
    try:
        out = subprocess.run(
            ["ip", "-4", "-o", "addr", "show", "scope", "global"],
            capture_output=True, text=True, check=False,
        ).stdout
    except FileNotFoundError:
        return []
    return [line.split()[3].split("/")[0] for line in out.splitlines() if len(line.split()) > 3]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="firstboot", description=__doc__)
    parser.add_argument("--auto", action="store_true", help="started by the login profile")
    parser.parse_args(argv)
    print(f"OpenSBC on {socket.gethostname()}")
    addrs = addresses()
    for addr in addrs:
        print(f"  web console: https://{addr}:9090")
    if not addrs:
        print("  no IPv4 address yet (DHCP pending?)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
