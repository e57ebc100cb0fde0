"""Fresh identifiers from an injected random source (no global random state here).

Pass `os.urandom` or `secrets.token_bytes` in production and a seeded function in
tests. RFC 3261 wants branches unique in space and time (§8.1.1.7), tags with at least
32 bits of randomness (§19.3) and Call-IDs that are globally unique (§8.1.1.4).
"""

from __future__ import annotations

from collections.abc import Callable

from .fields import MAGIC_COOKIE

RandomBytes = Callable[[int], bytes]


def new_branch(random: RandomBytes) -> str:
    """A Via branch: the RFC 3261 magic cookie and 96 random bits."""
    return MAGIC_COOKIE + random(12).hex()


def new_tag(random: RandomBytes) -> str:
    """A From/To tag with 64 random bits."""
    return random(8).hex()


def new_call_id(random: RandomBytes, host: str | None = None) -> str:
    """A Call-ID with 128 random bits, ``@host`` appended when given."""
    value = random(16).hex()
    return f"{value}@{host}" if host else value
