"""Just enough SIP to decide what to trace: the method of a request or of a response.

This does not use the SIP parser on purpose: the trace must record whatever went over
the wire, including what the parser rejects.

    Request-Line = Method SP Request-URI SP SIP-Version CRLF     (RFC 3261 §25.1)
    Status-Line  = SIP-Version SP Status-Code SP Reason-Phrase CRLF
    CSeq         = "CSeq" HCOLON 1*DIGIT LWS Method
"""

from __future__ import annotations

import re

_HEAD_LIMIT = 16384
_METHOD = re.compile(rb"([A-Za-z]+) ")
_CSEQ = re.compile(rb"^CSeq[ \t]*:[ \t]*\d+[ \t]+([A-Za-z]+)", re.IGNORECASE | re.MULTILINE)


def sip_method(data: bytes) -> str | None:
    """"OPTIONS" for an OPTIONS request and for its responses; None if unrecognisable."""
    if data.startswith(b"SIP/2.0 "):
        head = data[:_HEAD_LIMIT].split(b"\r\n\r\n", 1)[0]
        match = _CSEQ.search(head)
    else:
        match = _METHOD.match(data, 0, 32)
    return match.group(1).decode("ascii").upper() if match else None


def is_keepalive(data: bytes) -> bool:
    """RFC 5626 CRLF keep-alives (and their pongs) are not SIP messages."""
    return not data.strip(b"\r\n")
