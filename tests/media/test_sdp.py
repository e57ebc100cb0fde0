"""sbc.media.sdp: the late offer we write, and o= continuity toward each side."""

from __future__ import annotations

import pytest
from sbc.media import sdp


def test_late_offer() -> None:
    body = sdp.late_offer(("PCMA", "PCMU", "G722", "telephone-event", "opus"), 42)
    assert body == (
        b"v=0\r\no=- 42 42 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
        b"m=audio 9 RTP/AVP 8 0 9 101\r\n"
        b"a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:9 G722/8000\r\n"
        b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
    )
    assert b"a=fmtp:18 annexb=no" in sdp.late_offer(("G729",), 1)


@pytest.mark.parametrize("codecs", [(), ("telephone-event",), ("opus", "telephone-event")])
def test_late_offer_needs_an_audio_codec(codecs: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        sdp.late_offer(codecs, 1)


FIRST = b"v=0\r\no=peer 7 3 IN IP4 192.0.2.1\r\ns=-\r\nm=audio 1000 RTP/AVP 8\r\n"


def test_first_sdp_to_a_side_passes_unchanged() -> None:
    out, origin = sdp.keep_origin(FIRST, None)
    assert out == FIRST
    rest = FIRST.replace(b"o=peer 7 3 IN IP4 192.0.2.1\r\n", b"")
    assert origin == sdp.Origin(b"peer", b"7", 3, rest)


def test_later_sdp_keeps_user_and_session_and_counts_versions() -> None:
    _, origin = sdp.keep_origin(FIRST, None)
    same = FIRST.replace(b"o=peer 7 3", b"o=other 99 1")
    out, origin2 = sdp.keep_origin(same, origin)
    assert out == FIRST  # nothing changed: same version
    changed = same.replace(b"1000", b"2000")
    out, origin3 = sdp.keep_origin(changed, origin2)
    assert b"o=peer 7 4 IN IP4 192.0.2.1\r\n" in out and b"m=audio 2000" in out
    assert origin3 is not None and origin3.version == 4
    out, _ = sdp.keep_origin(changed.replace(b"\r\n", b"\n"), origin3)
    assert b"o=peer 7 5 IN IP4 192.0.2.1\n" in out  # bare LF kept as it came


@pytest.mark.parametrize("body", [
    b"v=0\r\ns=-\r\n", b"v=0\r\no=a b\r\n", b"o=a b x IN IP4 1.2.3.4",
])
def test_sdp_without_a_usable_origin_passes(body: bytes) -> None:
    _, origin = sdp.keep_origin(FIRST, None)
    assert sdp.keep_origin(body, origin) == (body, origin)


def test_ports_and_crypto_lines() -> None:
    body = (b"m=audio 1000 RTP/SAVP 8\r\na=crypto:1 X inline:k\r\nm=video 0 RTP/AVP 96\r\n"
            b"m=audio x RTP/AVP 0\r\nm=audio 2000/2 RTP/AVP 0\r\n")
    assert sdp.media_ports(body) == (1000, 0, -1, 2000)
    assert sdp.crypto_lines(body) == (b"a=crypto:1 X inline:k",)


def test_strip_ice_removes_standard_and_microsoft_candidates() -> None:
    from sbc.media.sdp import strip_ice

    body = (b"v=0\r\nm=audio 5000 RTP/AVP 0\r\na=ice-ufrag:x\r\na=ice-pwd:y\r\n"
            b"a=candidate:1 1 UDP 1 10.0.0.1 5000 typ host\r\n"
            b"a=x-candidate-ipv6:1 1 UDP 2130706431 ::1 49697 typ host\r\n"
            b"a=rtpmap:0 PCMU/8000\r\n")
    assert strip_ice(body) == b"v=0\r\nm=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    assert strip_ice(b"v=0\nm=audio 1 RTP/AVP 0\n") == b"v=0\nm=audio 1 RTP/AVP 0\n"
