"""Plain line-by-line questions on the console: an 80x25 screen or a serial line.

No curses and no cursor tricks: every prompt is one line ending in ": ", every
answer one line, so a serial terminal, a Hyper-V viewer and pexpect all see the same.
Input goes through one buffered reader so that timed questions and ordinary ones
never steal each other's bytes.
"""

from __future__ import annotations

import os
import select
import sys
import termios
import textwrap
import time
from collections.abc import Callable
from typing import TextIO, TypeVar

from .validate import Invalid

T = TypeVar("T")
WIDTH = 78
MAX_TRIES = 20  # then give up: nobody is answering sensibly (or a script is looping)
MAX_LINE = 4096


class Aborted(Exception):
    """Input ended (EOF) or the same question failed too often."""


class Console:
    def __init__(self, infd: int = 0, out: TextIO | None = None) -> None:
        self._fd = infd
        self._out = out or sys.stdout
        self._buffer = b""

    # --- output ------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        self._out.write(text + "\n")
        self._out.flush()

    def wrapped(self, text: str, indent: str = "") -> None:
        self.say(textwrap.fill(text, WIDTH, initial_indent=indent,
                               subsequent_indent=indent + "  "))

    def heading(self, text: str) -> None:
        self.say()
        self.say(text)
        self.say("-" * min(len(text), WIDTH))

    # --- input -------------------------------------------------------------------
    def _readline(self, timeout: float | None = None) -> str | None:
        """One line without its end; None if `timeout` seconds pass first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer and len(self._buffer) < MAX_LINE:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                ready = remaining > 0 and select.select([self._fd], [], [], remaining)[0]
                if not ready:
                    return None
            chunk = os.read(self._fd, 1024)
            if not chunk:
                raise Aborted("end of input")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode("utf-8", errors="replace").rstrip("\r")

    def line(self, prompt: str, timeout: float | None = None) -> str | None:
        self._out.write(prompt)
        self._out.flush()
        return self._readline(timeout)

    def ask(self, prompt: str, parse: Callable[[str], T], default: str | None = None) -> T:
        """Ask until `parse` accepts the answer; an empty answer takes `default`."""
        shown = f"{prompt} [{default}]: " if default else f"{prompt}: "
        for _ in range(MAX_TRIES):
            text = self.line(shown) or ""
            if not text.strip() and default:
                text = default
            try:
                return parse(text)
            except Invalid as refusal:
                self.wrapped(f"Not accepted: {refusal}", "  ")
        raise Aborted(f"no acceptable answer to {prompt!r} after {MAX_TRIES} tries")

    def yes_no(self, prompt: str, default: bool) -> bool:
        return self.ask(f"{prompt} [{'Y/n' if default else 'y/N'}]", _yes_no(default))

    def timed_yes_no(self, prompt: str, default: bool, timeout: float) -> bool | None:
        """Like yes_no, but None when nobody answers within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        shown = f"{prompt} [{'Y/n' if default else 'y/N'}]: "
        for _ in range(MAX_TRIES):
            text = self.line(shown, max(0.0, deadline - time.monotonic()))
            if text is None:
                self.say()
                return None
            try:
                return _yes_no(default)(text)
            except Invalid as refusal:
                self.say(f"  Not accepted: {refusal}")
        return None

    def secret(self, prompt: str) -> str:
        """A line typed without echo (the terminal's echo is restored even on Ctrl-C)."""
        if not os.isatty(self._fd):
            return self.line(prompt) or ""
        saved = termios.tcgetattr(self._fd)
        quiet = termios.tcgetattr(self._fd)
        quiet[3] &= ~termios.ECHO
        termios.tcsetattr(self._fd, termios.TCSADRAIN, quiet)
        try:
            return self.line(prompt) or ""
        finally:
            termios.tcsetattr(self._fd, termios.TCSADRAIN, saved)
            self.say()


def _yes_no(default: bool) -> Callable[[str], bool]:
    def parse(text: str) -> bool:
        answer = text.strip().lower()
        if not answer:
            return default
        if answer in ("y", "yes"):
            return True
        if answer in ("n", "no"):
            return False
        raise Invalid("answer y or n")

    return parse
