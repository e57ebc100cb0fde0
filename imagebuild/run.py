"""How the build runs external commands and reports what broke.

A failed command is reported with its exact command line, the tail of its output and
a hint that says how to fix the usual cause, so a broken CI log reads on its own. The
wrapper is the project's own (sbc.util.proc, from the editable install `make venv`
makes); this module adds the build's wording, logging and hints.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from sbc.util import proc

log = logging.getLogger("build")

ROOT_HINT = "the image build needs root (device nodes, ownership, chroot): run it as root"
HOST_DEPS_HINT = "install the host packages with 'tools/host-deps build' (as root)"
TAIL_LINES = 25


class BuildError(Exception):
    """A build step failed; the message says what broke and how to fix it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}\nhint: {self.hint}" if self.hint else text


class BuildCommandError(proc.CommandError, BuildError):
    """A command of the build failed: a BuildError with the command's details."""

    def describe(self) -> str:
        if self.returncode is None:  # missing, or no answer in time
            text = f"{self.reason} (while running: {self.command})"
        else:
            text = f"command failed with exit code {self.returncode}: {self.command}"
        if self.output:
            text += f"\n{self.output}"
        return f"{text}\nhint: {self.hint}" if self.hint else text


def die(message: str, hint: str | None = None) -> BuildError:
    """Builds the error to raise: `raise die("...", hint="...")`."""
    return BuildError(message, hint)


def run(
    cmd: Sequence[str | Path],
    *,
    hint: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    capture: bool = False,
    stream: bool = False,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Runs `cmd`; raises BuildError naming the command line when it fails.

    stream=True passes the output through live (long steps such as diskimage-builder),
    keeping the last lines for the error report; otherwise output is captured.
    """
    argv = [str(c) for c in cmd]
    log.debug("$ %s", shlex.join(argv))
    result = proc.run(argv, hint=hint, missing_hint=hint or HOST_DEPS_HINT, env=env, cwd=cwd,
                      stream=stream, input=input, tail_lines=TAIL_LINES,
                      error=BuildCommandError)
    if not capture and not stream and result.stdout:
        log.debug(result.stdout.rstrip())
    return result
