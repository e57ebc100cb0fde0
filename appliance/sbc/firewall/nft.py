"""Loading a ruleset with nft: the one place the firewall runs a program.

`nft -f` applies a whole file in one transaction, so a ruleset with an error changes
nothing; the error names the command line and nft's own message.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from ..util.proc import CommandError, run

TIMEOUT = 30.0
MISSING_HINT = "install the Debian package nftables"


class NftError(CommandError):
    """nft refused the ruleset or could not run."""


def run_nft(argv: Sequence[str], *, what: str, input: str | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
    # All of nft's output: each error in a ruleset is three lines (message, the line,
    # carets), and the first ones matter most.
    return run(argv, what=what, input=input, check=check, timeout=TIMEOUT,
               missing_hint=MISSING_HINT, tail_lines=None, error=NftError)


def load(ruleset: str, nft: str = "nft", *, check_only: bool = False) -> None:
    """Load (or with `check_only`, only parse and validate) a ruleset given as text."""
    argv = [nft, "-c", "-f", "-"] if check_only else [nft, "-f", "-"]
    run_nft(argv, what="checking the firewall" if check_only else "loading the firewall",
            input=ruleset)


def table_loaded(table: str, nft: str = "nft") -> bool:
    proc = run_nft([nft, "list", "table", "inet", table], what="listing the firewall",
                   check=False)
    return proc.returncode == 0
