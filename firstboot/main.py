"""`firstboot`: the console set-up wizard of the OpenSBC appliance.

Started by /etc/profile.d/opensbc-firstboot.sh at root's first console login (tty1,
ttyS0) with --auto while /etc/opensbc/firstboot-pending exists; the admin can run it
again at any time. Exit status: 0 done, 1 stopped by an error, 130 cancelled (Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .console import Aborted, Console
from .run import CommandError
from .settings import PING_WAIT, ROLLBACK_TIMEOUT, Commands, Paths, Settings
from .wizard import Wizard

CANCELLED = 130


def parse_args(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(prog="firstboot", description=__doc__.splitlines()[0])
    parser.add_argument("--auto", action="store_true",
                        help="started by the login profile: do nothing once set up")
    tests = parser.add_argument_group("for tests (defaults are the appliance's)")
    tests.add_argument("--root", type=Path, default=Path("/"),
                       help="directory holding etc/ (%(default)s)")
    tests.add_argument("--nmcli", default="nmcli")
    tests.add_argument("--ping", default="ping")
    tests.add_argument("--hostnamectl", default="hostnamectl")
    tests.add_argument("--systemctl", default="systemctl")
    tests.add_argument("--rollback-timeout", type=float, default=ROLLBACK_TIMEOUT,
                       metavar="SECONDS", help="(%(default)g)")
    tests.add_argument("--ping-wait", type=int, default=PING_WAIT, metavar="SECONDS",
                       help="(%(default)s)")
    args = parser.parse_args(argv)
    return Settings(
        paths=Paths(args.root),
        commands=Commands(args.nmcli, args.ping, args.hostnamectl, args.systemctl),
        rollback_timeout=args.rollback_timeout,
        ping_wait=args.ping_wait,
        auto=args.auto,
    )


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    if settings.auto and not settings.paths.pending.exists():
        return 0
    console = Console()
    try:
        Wizard(console, settings).run()
    except KeyboardInterrupt:
        console.say()
        console.say("Cancelled. The network settings are as they were before this step.")
        console.say("Run `firstboot` to start the set-up again.")
        return CANCELLED
    except (Aborted, CommandError, OSError) as exc:
        console.say()
        console.say(f"Set-up stopped: {exc}")
        console.say("Run `firstboot` to start it again.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
