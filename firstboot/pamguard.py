"""pam_exec helper that refuses the appliance's default password over the network.

Wired into common-auth by /usr/share/pam-configs/opensbc-default-password, after
pam_unix has accepted the password and skipped for the console's `login` service:

    auth [success=1 default=ignore] pam_succeed_if.so quiet service = login
    auth required pam_exec.so quiet expose_authtok /usr/lib/opensbc/refuse-default-password

The check looks at the password typed, not at a marker file: it holds however root's
password came to be the default again (a restored backup, `passwd`, an upgrade that
carried the old hash), and it cannot be left behind in the wrong state. The console
login keeps working with the default, which is how the admin reaches the wizard.
"""

from __future__ import annotations

import argparse
import hmac
import os
import sys
import syslog
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from .password import DEFAULT_PASSWORD, verifies

CONSOLE_SERVICES = frozenset({"login"})  # agetty -> login on tty1 and ttyS0
MAX_AUTHTOK = 512  # PAM_MAX_RESP_SIZE
DEFAULT_HASH_FILE = Path("/etc/opensbc/default-root.hash")


def read_authtok(data: bytes) -> str:
    """pam_exec writes the password to stdin, NUL-terminated in some versions."""
    return data.split(b"\0", 1)[0].decode("utf-8", errors="replace")


def refuse(typed: str, service: str, default_hash: str | None = None) -> bool:
    """Whether to fail this authentication: the default password, not at the console."""
    if service in CONSOLE_SERVICES:
        return False
    if hmac.compare_digest(typed.encode(), DEFAULT_PASSWORD.encode()):
        return True
    return bool(default_hash) and verifies(typed, default_hash or "")


def _default_hash(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def main(argv: list[str] | None = None, stdin: BinaryIO | None = None,
         environ: Mapping[str, str] | None = None) -> int:
    """Exit 1 (PAM fails) to refuse; 0 otherwise, also for other PAM phases."""
    parser = argparse.ArgumentParser(prog="refuse-default-password", description=__doc__)
    parser.add_argument("--default-hash", type=Path, default=DEFAULT_HASH_FILE)
    args = parser.parse_args(argv)
    env = os.environ if environ is None else environ
    if env.get("PAM_TYPE") != "auth":
        return 0
    source = sys.stdin.buffer if stdin is None else stdin
    typed = read_authtok(source.read(MAX_AUTHTOK + 1))
    service = env.get("PAM_SERVICE", "")
    if not refuse(typed, service, _default_hash(args.default_hash)):
        return 0
    user, rhost = env.get("PAM_USER", "?"), env.get("PAM_RHOST", "") or "local"
    syslog.openlog("opensbc", 0, syslog.LOG_AUTHPRIV)
    syslog.syslog(syslog.LOG_NOTICE, f"refused the default password for {user} via {service} "
                  f"from {rhost}: change it with `firstboot` or `passwd` at the console")
    return 1


if __name__ == "__main__":
    sys.exit(main())
