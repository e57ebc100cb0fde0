"""The one error kind of this package: the admin's file, key or name is not usable."""

from __future__ import annotations


class CertError(Exception):
    """A certificate operation refused its input.

    `check` names the check that failed (``parse``, ``key``, ``chain``, ``fqdn``,
    ``validity``, ``key-type``, ``eku``, ...) so the CLI and the web page can show it, and
    `hint` says what to do about it. Bugs in our own code raise ordinary exceptions.
    """

    def __init__(self, message: str, *, check: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.check = check
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message
