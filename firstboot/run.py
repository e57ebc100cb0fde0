"""The one way the wizard runs a program (nmcli, ping, hostnamectl, systemctl).

A failure names the step and the exact command line, so a message on the console is
enough to reproduce it by hand.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence

DEFAULT_TIMEOUT = 60.0


class CommandError(RuntimeError):
    """A command failed or could not be started; str() says what, how and why."""

    def __init__(self, what: str, argv: Sequence[str], detail: str) -> None:
        self.argv = list(argv)
        super().__init__(f"{what} failed: {detail}\n  command: {shlex.join(self.argv)}")


def run(argv: Sequence[str], *, what: str, check: bool = True, input: str | None = None,
        timeout: float = DEFAULT_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run `argv` and capture its output as text; raise CommandError if `check` and it
    fails, and always if it is missing or exceeds `timeout` seconds."""
    try:
        proc = subprocess.run(list(argv), input=input, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except FileNotFoundError:
        raise CommandError(what, argv, f"{argv[0]} is not installed") from None
    except subprocess.TimeoutExpired:
        raise CommandError(what, argv, f"no answer within {timeout:g} s") from None
    if check and proc.returncode != 0:
        output = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        detail = f"exit status {proc.returncode}" + (f": {output[-1]}" if output else "")
        raise CommandError(what, argv, detail)
    return proc
