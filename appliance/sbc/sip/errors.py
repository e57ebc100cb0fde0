"""The two error kinds of the SIP core (the h11 split).

`SipPeerError` is what a peer's bytes earn: it carries the status the RFC wants us to
answer with (or ``None``: drop silently) and, when the header section could be read,
the headers needed to build that answer. `SipUsageError` is our own misuse of the API
and is a bug to fix, never something a peer can trigger.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .reasons import reason_phrase

if TYPE_CHECKING:
    from .headers import Headers


class SipPeerError(Exception):
    """A peer sent something wrong.

    ``status`` is the SIP status to answer (400, 416, 420, 505, ...) or ``None`` when
    the message must be dropped without an answer (bad responses, garbage, keep-alives).
    ``reason`` says why, for logs; the answer's reason phrase is the standard one.
    ``headers`` is the header section of the offending message when it could be split,
    so that `sbc.sip.validate.error_response` can copy Via, From, To, Call-ID and CSeq.
    ``response_headers`` are extra headers the answer needs (Unsupported for 420,
    Accept for 415, Allow for 405).
    """

    def __init__(
        self,
        status: int | None,
        reason: str,
        *,
        headers: Headers | None = None,
        response_headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(f"{status if status is not None else 'drop'}: {reason}")
        self.status = status
        self.reason = reason
        self.headers = headers
        self.response_headers = list(response_headers)

    @property
    def phrase(self) -> str:
        """The standard reason phrase for ``status`` ("" for a drop)."""
        return reason_phrase(self.status) if self.status is not None else ""

    def with_context(self, *, status: int | None, headers: Headers | None) -> SipPeerError:
        """The same error re-aimed: a response's errors become drops, headers attached."""
        return SipPeerError(
            status,
            self.reason,
            headers=self.headers if headers is None else headers,
            response_headers=self.response_headers,
        )


class SipUsageError(Exception):
    """The code calling the SIP core used it wrongly (a bug on our side)."""
