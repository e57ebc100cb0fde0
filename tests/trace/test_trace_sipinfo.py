"""Telling OPTIONS (and its responses) apart without the full parser."""

from __future__ import annotations

import pytest
from sbc.trace.sipinfo import is_keepalive, sip_method


@pytest.mark.parametrize(
    ("data", "method"),
    [
        (b"OPTIONS sip:sbc.example.com SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n", "OPTIONS"),
        (b"INVITE sip:+4930123@sbc SIP/2.0\r\n\r\n", "INVITE"),
        (b"SIP/2.0 200 OK\r\nVia: x\r\nCSeq: 17 OPTIONS\r\n\r\n", "OPTIONS"),
        (b"SIP/2.0 401 Unauthorized\r\ncseq :  2   register\r\n\r\n", "REGISTER"),
        (b"SIP/2.0 200 OK\r\nVia: x\r\n\r\nCSeq: 1 OPTIONS\r\n", None),  # only in the body
        (b"SIP/2.0 200 OK\r\nX-CSeq: 1 OPTIONS\r\n\r\n", None),
        (b"\x16\x03\x01\x02\x00", None),
        (b"", None),
    ],
)
def test_sip_method(data: bytes, method: str | None) -> None:
    assert sip_method(data) == method


def test_keepalives() -> None:
    assert is_keepalive(b"\r\n\r\n")
    assert is_keepalive(b"\r\n")
    assert not is_keepalive(b"OPTIONS sip:x SIP/2.0\r\n\r\n")
