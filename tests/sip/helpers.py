"""Small builders shared by the SIP core tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from sbc.sip import Address, Endpoint, Request, Via, build_request, parse_uri


def counter_random() -> Callable[[int], bytes]:
    """A deterministic random source: 01 02 03 ... so identifiers are predictable."""
    counter = itertools.count(1)

    def random(n: int) -> bytes:
        return bytes(next(counter) % 256 for _ in range(n))

    return random


def crlf(text: str) -> bytes:
    """A message written with \\n line ends in a test, sent with CRLF."""
    return text.replace("\n", "\r\n").encode()


OPTIONS = crlf(
    "OPTIONS sip:sbc.example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKabc123;rport\n"
    "Max-Forwards: 70\n"
    "From: <sip:peer@example.net>;tag=f1\n"
    "To: <sip:sbc.example.com>\n"
    "Call-ID: opt-1@192.0.2.10\n"
    "CSeq: 1 OPTIONS\n"
    "Content-Length: 0\n"
    "\n"
)

INVITE = crlf(
    "INVITE sip:+4930123@sbc.example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKinv1\n"
    "Max-Forwards: 70\n"
    "From: \"Alice\" <sip:alice@example.net>;tag=a1\n"
    "To: <sip:+4930123@sbc.example.com>\n"
    "Call-ID: inv-1@192.0.2.10\n"
    "CSeq: 10 INVITE\n"
    "Contact: <sip:alice@192.0.2.10:5060>\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 5\n"
    "\n"
    "v=0\n"
)


UDP = Endpoint("192.0.2.20", 5060, "udp")
TCP = Endpoint("192.0.2.20", 5060, "tcp")


def request(method: str = "OPTIONS", branch: str = "z9hG4bKt1") -> Request:
    return build_request(
        method,
        parse_uri("sip:peer@192.0.2.20"),
        from_addr=Address(parse_uri("sip:sbc@example.com"), params={"tag": "ft"}),
        to_addr=Address(parse_uri("sip:peer@192.0.2.20")),
        call_id="call-1",
        cseq=1,
        via=Via("UDP", "192.0.2.1", 5060, {"branch": branch}),
    )
