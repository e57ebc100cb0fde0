"""One wrapper for every external command the build runs.

A failed command is reported with its exact command line, the tail of its output and
a hint that says how to fix the usual cause, so a broken CI log reads on its own.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

log = logging.getLogger("build")

ROOT_HINT = "the image build needs root (device nodes, ownership, chroot): run it as root"


class BuildError(Exception):
    """A build step failed; the message says what broke and how to fix it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        text = super().__str__()
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
    input: bytes | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Runs `cmd`; raises BuildError naming the command line when it fails.

    stream=True passes the output through live (long steps such as diskimage-builder),
    keeping the last lines for the error report; otherwise output is captured.
    """
    argv = [str(c) for c in cmd]
    line = shlex.join(argv)
    log.debug("$ %s", line)
    try:
        if stream:
            tail: list[str] = []
            with subprocess.Popen(
                argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            ) as proc:
                assert proc.stdout is not None
                for raw in proc.stdout:
                    text = raw.decode(errors="replace")
                    sys.stdout.write(text)
                    tail = (tail + [text])[-40:]
            out = "".join(tail).encode()
            result = subprocess.CompletedProcess(argv, proc.returncode, out, b"")
        else:
            result = subprocess.run(
                argv, env=env, cwd=cwd, input=input, capture_output=True, check=False
            )
    except FileNotFoundError as exc:
        raise die(
            f"command not found: {argv[0]} (while running: {line})",
            hint or "install the host packages with 'tools/host-deps build' (as root)",
        ) from exc
    if result.returncode != 0:
        output = (result.stdout or b"") + (result.stderr or b"")
        last = "\n".join(output.decode(errors="replace").rstrip().splitlines()[-25:])
        raise die(f"command failed with exit code {result.returncode}: {line}\n{last}", hint)
    if not capture and not stream and result.stdout:
        log.debug(result.stdout.decode(errors="replace").rstrip())
    return result
