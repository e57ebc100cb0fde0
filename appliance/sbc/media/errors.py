"""The one error the media plane raises to its callers."""

from __future__ import annotations


class MediaError(Exception):
    """rtpengine was unreachable, did not answer in time, or refused a command.

    str() says which, in plain words, e.g. "rtpengine at 127.0.0.1:2223 did not answer
    'offer' within 3.0 s (3 tries)" or "rtpengine refused 'answer': Unknown call-id".
    `reason` is rtpengine's own error-reason when it gave one.
    """

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
