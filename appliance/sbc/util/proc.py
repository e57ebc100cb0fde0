"""The one way the project runs an external program (nft, nmcli, mkfs, mksquashfs, ...).

    run(["nft", "-f", "-"], what="loading the firewall", input=text, timeout=30)

A command that fails, is missing or does not finish in time raises CommandError: it
carries the step (`what`), the exact command line, the exit code, the tail of the
program's output and a hint that says how to fix the usual cause, so the message alone
is enough to reproduce the problem by hand. Each layer (image build, installer,
first-boot wizard, firewall) may raise its own subclass through `error=`, so callers
keep catching the names they know.

Used by the SBC engine, the installer and the first-boot wizard (one wheel, see
pyproject.toml) and by the image build on the build host.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence

TAIL_LINES = 10  # lines of output an error keeps by default


class CommandError(RuntimeError):
    """A command failed, could not be started or gave no answer in time.

    `what` is the step ("formatting root"), `argv` the command, `reason` the short why
    ("exit code 4", "nft is not installed", "no answer within 30 s"). `returncode` is
    None when the program did not finish; `output` is the tail of what it printed
    (stdout, then stderr); `hint` says how to fix the usual cause.
    """

    def __init__(self, what: str, argv: Sequence[str | os.PathLike[str]], reason: str, *,
                 returncode: int | None = None, output: str = "",
                 hint: str | None = None) -> None:
        self.what = what
        self.argv = [os.fspath(a) for a in argv]
        self.reason = reason
        self.returncode = returncode
        self.output = output
        self.hint = hint
        self.message = self.describe()
        super().__init__(self.message)

    @property
    def command(self) -> str:
        """The command line, quoted so it can be pasted into a shell."""
        return shlex.join(self.argv)

    def describe(self) -> str:
        """The message; a subclass may word it its own way from the same fields."""
        lines = [f"{self.what} failed ({self.reason}): {self.command}"]
        if self.output:
            lines.append(self.output)
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message


def tail(text: str | bytes | None, lines: int | None = TAIL_LINES) -> str:
    """The last `lines` lines of `text` (None: all of it), without trailing blanks."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    rows = (text or "").rstrip().splitlines()
    if lines is not None:
        rows = rows[-lines:] if lines > 0 else []
    return "\n".join(rows)


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    what: str = "command",
    hint: str | None = None,
    missing_hint: str | None = None,
    check: bool = True,
    input: str | None = None,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    stream: bool = False,
    tail_lines: int | None = TAIL_LINES,
    error: type[CommandError] = CommandError,
) -> subprocess.CompletedProcess[str]:
    """Run `argv`, capturing its output as text (UTF-8, undecodable bytes replaced).

    Raises `error` (CommandError or a subclass) when the program is missing, does not
    finish within `timeout` seconds (None: no limit; it is killed), or, with `check`,
    exits non-zero. `hint` goes into the error; `missing_hint`, when given, replaces it
    for a missing program. `input` is written to the program's stdin. `stream=True`
    passes the output (stderr merged) through to our stdout as it comes, for long steps,
    and keeps only its last lines (there, a timeout kills the program but waits for
    children that still hold its output open). The error keeps `tail_lines` lines of
    output (None: all of it).
    """
    args = [os.fspath(a) for a in argv]
    try:
        if stream:
            if input is not None:
                raise ValueError("run(): stream=True reads no input")
            proc = _streamed(args, env, cwd, timeout, max(tail_lines or 0, 40))
        else:
            proc = subprocess.run(args, input=input, capture_output=True, encoding="utf-8",
                                  errors="replace", env=env, cwd=cwd, timeout=timeout,
                                  check=False)
    except FileNotFoundError:
        raise error(what, args, f"{args[0]} is not installed",
                    hint=missing_hint or hint) from None
    except subprocess.TimeoutExpired as exc:
        partial = tail(_text(exc.stdout) + _text(exc.stderr), tail_lines)
        raise error(what, args, f"no answer within {timeout:g} s", output=partial,
                    hint=hint) from None
    if check and proc.returncode != 0:
        raise error(what, args, f"exit code {proc.returncode}",
                    returncode=proc.returncode,
                    output=tail((proc.stdout or "") + (proc.stderr or ""), tail_lines),
                    hint=hint)
    return proc


def _text(data: str | bytes | None) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data or ""


def _streamed(argv: list[str], env: Mapping[str, str] | None,
              cwd: str | os.PathLike[str] | None, timeout: float | None,
              keep: int) -> subprocess.CompletedProcess[str]:
    """Popen with stdout and stderr copied line by line to our stdout; the result's
    stdout is the last `keep` lines. TimeoutExpired after killing it."""
    sink = sys.stdout
    last: list[str] = []
    expired = threading.Event()
    with subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, encoding="utf-8",
                          errors="replace") as proc:
        timer = None
        if timeout is not None:
            def kill() -> None:
                expired.set()
                proc.kill()
            timer = threading.Timer(timeout, kill)
            timer.daemon = True
            timer.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                sink.write(line)
                sink.flush()
                last.append(line)
                if len(last) > keep:
                    del last[0]
            proc.wait()
        finally:
            if timer is not None:
                timer.cancel()
    if expired.is_set():
        raise subprocess.TimeoutExpired(argv, timeout or 0, output="".join(last))
    return subprocess.CompletedProcess(argv, proc.returncode, "".join(last), "")
