"""The one way the wizard runs a program (nmcli, ping, hostnamectl, systemctl).

A failure names the step and the exact command line, so a message on the console is
enough to reproduce it by hand. The wrapper itself is the project's (sbc.util.proc);
this module keeps the wizard's default timeout and how much output a message shows.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from sbc.util import proc
from sbc.util.proc import CommandError

__all__ = ["DEFAULT_TIMEOUT", "CommandError", "run"]

DEFAULT_TIMEOUT = 60.0
TAIL_LINES = 3  # the console is 80x25: nmcli's own error is one line


def run(argv: Sequence[str], *, what: str, check: bool = True, input: str | None = None,
        timeout: float = DEFAULT_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run `argv` and capture its output as text; raise CommandError if `check` and it
    fails, and always if it is missing or exceeds `timeout` seconds."""
    return proc.run(argv, what=what, check=check, input=input, timeout=timeout,
                    tail_lines=TAIL_LINES)
