"""sbc.media.ng: cookies, framing, replies, and the flag sets per pair of profiles."""

from __future__ import annotations

import itertools

import pytest
from sbc.media import LegProfile, MediaError, bencode, ng

CARRIER = LegProfile(srtp=False, rtcp_mux=False, strip_ice=True, media_address="198.51.100.7")
TEAMS = LegProfile(srtp=True, rtcp_mux=True, strip_ice=True, media_address="203.0.113.5")


def test_cookies_are_a_random_prefix_and_a_counter() -> None:
    counter = itertools.count(1)
    cookies = ng.Cookies(lambda n: bytes([next(counter)] * n), size=3)
    assert [cookies.next() for _ in range(3)] == ["0101011", "0101012", "0101013"]
    again = ng.Cookies(lambda n: bytes([next(counter)] * n), size=3)  # a restart
    assert again.next() == "0202021"  # another prefix: no reply cached for an old one
    assert len({cookies.next() for _ in range(1000)}) == 1000


def test_frame_and_unframe() -> None:
    data = ng.frame("c1", {"command": "ping"})
    assert data == b"c1 d7:command4:pinge"
    assert ng.unframe(b"c1 d6:result4:ponge") == ("c1", {"result": b"pong"})


@pytest.mark.parametrize("cookie", ["", "a b", "ä"])
def test_frame_refuses_bad_cookies(cookie: str) -> None:
    with pytest.raises(ValueError):
        ng.frame(cookie, {"command": "ping"})


@pytest.mark.parametrize("data", [b"", b"nospace", b" d6:result4:ponge", b"c1 le", b"c1 junk",
                                  b"\xff d6:result4:ponge"])
def test_unframe_refuses_garbage(data: bytes) -> None:
    with pytest.raises(ValueError):
        ng.unframe(data)


def test_check_passes_ok_and_pong() -> None:
    assert ng.check("ping", {"result": b"pong"}) == {"result": b"pong"}
    assert ng.check("offer", {"result": b"ok", "sdp": b"v=0"})["sdp"] == b"v=0"


def test_check_turns_errors_into_plain_words() -> None:
    with pytest.raises(MediaError) as info:
        ng.check("answer", {"result": b"error", "error-reason": b"Unknown call-id"})
    assert str(info.value) == "rtpengine refused 'answer': Unknown call-id"
    assert info.value.reason == "Unknown call-id" and ng.is_unknown_call(info.value)
    with pytest.raises(MediaError, match="'offer': no reason given"):
        ng.check("offer", {"result": b"error"})
    with pytest.raises(MediaError, match=r"load limit reached \(busy\)"):
        ng.check("offer", {"result": b"load limit", "message": b"busy"})
    with pytest.raises(MediaError, match="unknown result 'maybe'"):
        ng.check("offer", {"result": b"maybe"})
    assert not ng.is_unknown_call(MediaError("timeout"))
    assert ng.is_unknown_call(MediaError("x", reason="Unknown call-ID"))


def test_offer_toward_teams() -> None:
    command = ng.offer("opensbc-1", b"v=0", from_tag="a", to_tag="b",
                       sender=CARRIER, receiver=TEAMS)
    assert command == {
        "command": "offer", "call-id": "opensbc-1", "from-tag": "a", "to-tag": "b",
        "sdp": b"v=0",
        "flags": ["trust-address", "port-latching", "reject-ICE"],
        "replace": ["origin", "session-connection"],
        "media-address": "203.0.113.5",
        "transport-protocol": "RTP/SAVP",
        "rtcp-mux": ["offer"],
        "DTLS": "off",
        "ICE": "remove",
        "SDES": [f"no-{suite}" for suite in ng.OTHER_SUITES],
        "codec": {"strip": ["all"], "except": ["PCMA", "PCMU", "G722", "telephone-event"]},
    }
    assert ng.SRTP_SUITE not in " ".join(command["SDES"])
    bencode.encode(command)  # it goes on the wire as is


def test_offer_toward_the_carrier() -> None:
    flags = ng.offer_flags(TEAMS, CARRIER)
    assert flags["transport-protocol"] == "RTP/AVP"
    assert flags["rtcp-mux"] == ["demux"]
    assert flags["media-address"] == "198.51.100.7"
    assert "SDES" in flags  # what we accept from the SRTP offerer: AES_CM_128 only


def test_plain_to_plain_has_no_sdes_and_ice_is_kept_when_asked() -> None:
    keep = LegProfile(srtp=False, rtcp_mux=False, strip_ice=False, media_address="192.0.2.9")
    flags = ng.offer_flags(keep, keep)
    assert "SDES" not in flags and "ICE" not in flags
    assert flags["flags"] == ["trust-address", "port-latching"]


def test_codecs_are_what_both_sides_allow() -> None:
    narrow = LegProfile(srtp=False, rtcp_mux=False, strip_ice=True, media_address="192.0.2.9",
                        codecs=("PCMU", "telephone-event", "G729"))
    assert ng.offer_flags(narrow, TEAMS)["codec"]["except"] == ["PCMU", "telephone-event"]
    assert ng.offer_flags(TEAMS, narrow)["codec"]["except"] == ["PCMU", "telephone-event"]


def test_answer_goes_to_the_offerer() -> None:
    command = ng.answer("opensbc-1", b"v=0", from_tag="a", to_tag="b",
                        offerer=CARRIER, answerer=TEAMS)
    assert command["from-tag"] == "a" and command["to-tag"] == "b"
    assert command["media-address"] == "198.51.100.7"
    assert "transport-protocol" not in command  # rtpengine keeps what the offerer offered
    assert command["ICE"] == "remove" and command["DTLS"] == "off"
    assert command["SDES"] == [f"no-{suite}" for suite in ng.OTHER_SUITES]
    plain = ng.answer_flags(CARRIER, CARRIER)
    assert "SDES" not in plain


def test_other_commands() -> None:
    assert ng.delete("x") == {"command": "delete", "call-id": "x", "delete delay": 0}
    assert ng.delete("x", "b")["from-tag"] == "b"
    assert ng.query("x") == {"command": "query", "call-id": "x"}
    assert ng.list_calls() == {"command": "list", "limit": ng.LIST_LIMIT}
    assert ng.ping() == {"command": "ping"}


def test_list_replies() -> None:
    reply = {"result": b"ok", "calls": [b"opensbc-1", b"other", b"opensbc-2", 7]}
    ids = ng.call_ids(reply)
    assert ids == ["opensbc-1", "other", "opensbc-2"]
    assert ng.ours(ids, "opensbc-") == ["1", "2"]
    assert ng.call_ids({"calls": b"x"}) == [] and ng.call_ids({}) == []


BYPASS = LegProfile(srtp=True, rtcp_mux=True, strip_ice=False, ice_lite=True,
                    media_address="203.0.113.5")


def test_offer_toward_a_bypass_leg_makes_rtpengine_its_ice_lite_peer() -> None:
    flags = ng.offer_flags(CARRIER, BYPASS)
    assert flags["ICE"] == "force" and flags["ICE-lite"] == "forward"
    assert flags["rtcp-mux"] == ["require"]  # no RTCP port: one candidate only
    assert "reject-ICE" in flags["flags"]  # the carrier's own ICE, if any, is refused


def test_offer_from_a_bypass_leg_keeps_its_ice_and_hides_it_from_the_carrier() -> None:
    flags = ng.offer_flags(BYPASS, CARRIER)
    assert flags["ICE"] == "remove" and flags["ICE-lite"] == "backward"
    assert "reject-ICE" not in flags["flags"]
    answer = ng.answer_flags(BYPASS, CARRIER)
    assert answer["ICE"] == "force" and "ICE-lite" not in answer  # an offer-only key


def test_bypass_on_both_sides_and_no_bypass_at_all() -> None:
    assert ng.offer_flags(BYPASS, BYPASS)["ICE-lite"] == "both"
    assert "ICE-lite" not in ng.offer_flags(CARRIER, TEAMS)
    assert "ICE-lite" not in ng.offer_flags(TEAMS, CARRIER)


def test_a_leg_cannot_be_ice_lite_with_its_ice_stripped() -> None:
    with pytest.raises(ValueError, match="ICE-lite"):
        LegProfile(srtp=True, rtcp_mux=True, strip_ice=True, ice_lite=True,
                   media_address="203.0.113.5")
