"""Loading a ruleset with nft: the one place the firewall runs a program.

`nft -f` applies a whole file in one transaction, so a ruleset with an error changes
nothing; the error names the command line and nft's own message.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Sequence

TIMEOUT = 30.0


class NftError(RuntimeError):
    """nft refused the ruleset or could not run."""


def run_nft(argv: Sequence[str], *, what: str, input: str | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(list(argv), input=input, capture_output=True, text=True,
                              timeout=TIMEOUT, check=False)
    except FileNotFoundError:
        raise NftError(f"{what}: {argv[0]} is not installed (Debian package nftables)") from None
    except subprocess.TimeoutExpired:
        raise NftError(f"{what}: no answer within {TIMEOUT:g} s: {shlex.join(argv)}") from None
    if check and proc.returncode != 0:
        raise NftError(f"{what} failed (exit {proc.returncode}): {shlex.join(argv)}\n"
                       f"{proc.stderr.strip()}")
    return proc


def load(ruleset: str, nft: str = "nft", *, check_only: bool = False) -> None:
    """Load (or with `check_only`, only parse and validate) a ruleset given as text."""
    argv = [nft, "-c", "-f", "-"] if check_only else [nft, "-f", "-"]
    run_nft(argv, what="checking the firewall" if check_only else "loading the firewall",
            input=ruleset)


def table_loaded(table: str, nft: str = "nft") -> bool:
    proc = run_nft([nft, "list", "table", "inet", table], what="listing the firewall",
                   check=False)
    return proc.returncode == 0
