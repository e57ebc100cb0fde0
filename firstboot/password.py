"""Root's password: the strength rules, the hash, and the files it changes.

The appliance ships with root/omc so that the admin can log in at the console once.
SSH and the web console listen on the network, so the wizard insists on a new
password before anything else, and only then lets root into Cockpit.
"""

from __future__ import annotations

import hmac
import time
import unicodedata
from pathlib import Path

from passlib.hash import sha512_crypt
from passlib.hosts import linux_context

from .files import replace_file
from .settings import Paths

DEFAULT_PASSWORD = "omc"  # the product's documented first login (installer, manual)
MIN_LENGTH = 8
MAX_LENGTH = 128
SECONDS_PER_DAY = 86400
_COMMON = frozenset({"password", "passwort", "opensbc", "root", "admin", "omc", "sbc", "teams"})
_TRAILERS = "0123456789!?.,-_#*+ "


def password_problem(password: str, *, user: str = "root",
                     default: str = DEFAULT_PASSWORD) -> str | None:
    """Why `password` is refused, or None. Minimal rules, each with its reason."""
    if hmac.compare_digest(password.encode(), default.encode()):
        return "that is the default password; choose a new one"
    if len(password) < MIN_LENGTH:
        return f"too short: use at least {MIN_LENGTH} characters (got {len(password)})"
    if len(password) > MAX_LENGTH:
        return f"too long: use at most {MAX_LENGTH} characters"
    if any(unicodedata.category(ch).startswith("C") for ch in password):
        return "control characters cannot be typed on every console; use printable ones"
    if password != password.strip():
        return "starts or ends with a space, which is easy to get wrong; remove it"
    if password.lower().rstrip(_TRAILERS) in _COMMON | {user.lower()}:
        return "too easy to guess: a common word with digits or signs added"
    classes = (
        any(ch.isalpha() for ch in password),
        any(ch.isdigit() for ch in password),
        any(not ch.isalnum() for ch in password),
    )
    if sum(classes) < 2:
        return "use at least two kinds of characters: letters, digits, other characters"
    return None


def hash_password(password: str) -> str:
    """A SHA-512 crypt hash, as Debian's /etc/shadow and pam_unix understand it."""
    return str(sha512_crypt.hash(password))


def verifies(password: str, hashed: str) -> bool:
    """Whether `password` matches a crypt hash; unknown schemes (yescrypt) say no."""
    try:
        return bool(linux_context.verify(password, hashed))
    except (ValueError, TypeError):
        return False


def is_default(hashed: str | None, default_hash: str | None = None) -> bool:
    """Whether root's hash is still the shipped one (or any hash of the default)."""
    if not hashed:
        return False
    if default_hash and hmac.compare_digest(hashed, default_hash):
        return True
    return verifies(DEFAULT_PASSWORD, hashed)


def shadow_hash(shadow: str, user: str) -> str | None:
    for line in shadow.splitlines():
        fields = line.split(":")
        if fields[0] == user and len(fields) > 1:
            return fields[1]
    return None


def shadow_with_hash(shadow: str, user: str, hashed: str, today: int) -> str:
    """/etc/shadow with `user`'s hash and last-change day replaced, all else as it was."""
    lines = shadow.splitlines(keepends=True)
    for i, line in enumerate(lines):
        fields = line.rstrip("\n").split(":")
        if fields[0] == user and len(fields) >= 3:
            fields[1] = hashed
            fields[2] = str(today)
            lines[i] = ":".join(fields) + ("\n" if line.endswith("\n") else "")
            return "".join(lines)
    raise KeyError(f"no {user!r} line in the shadow file")


def without_user(listing: str, user: str) -> str:
    """A user list (Cockpit's disallowed-users) without `user`; comments stay."""
    kept = [line for line in listing.splitlines(keepends=True) if line.strip() != user]
    return "".join(kept)


# --- the machine ------------------------------------------------------------------

def root_hash(paths: Paths) -> str | None:
    try:
        return shadow_hash(paths.shadow.read_text(), "root")
    except FileNotFoundError:
        return None


def default_hash(paths: Paths) -> str | None:
    try:
        return paths.default_hash.read_text().strip() or None
    except FileNotFoundError:
        return None


def root_password_is_default(paths: Paths) -> bool:
    return is_default(root_hash(paths), default_hash(paths))


def set_root_password(paths: Paths, password: str, now: float | None = None) -> None:
    """Write root's new hash into /etc/shadow atomically, other lines untouched."""
    today = int((time.time() if now is None else now) // SECONDS_PER_DAY)
    text = shadow_with_hash(paths.shadow.read_text(), "root", hash_password(password), today)
    replace_file(paths.shadow, text.encode())


def allow_root_in_cockpit(paths: Paths) -> bool:
    """Take root off Cockpit's deny list (Debian ships it there); True if it was on it."""
    target: Path = paths.cockpit_disallowed
    try:
        listing = target.read_text()
    except FileNotFoundError:
        return False
    kept = without_user(listing, "root")
    if kept == listing:
        return False
    replace_file(target, kept.encode())
    return True
