"""rtpengine's "ng" control protocol without I/O: cookies, command dicts, replies.

A request is one UDP datagram, `<cookie> <bencoded dict>`; the reply carries the same
cookie, which is how replies find their request and how rtpengine recognises a
retransmission (it caches its reply per cookie and sends it again, so a retransmitted
offer does not allocate new ports).

The flag sets below were settled against rtpengine 10.5 (tests/media/test_rtpengine.py
checks each of them against the real daemon; docs/media.md says why each is there).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import bencode
from .errors import MediaError
from .profile import LegProfile

SRTP_SUITE = "AES_CM_128_HMAC_SHA1_80"
# Every other SDES suite rtpengine 10.5 knows (daemon/crypto.c). By default it offers
# them all, AEAD_AES_256_GCM first, which Teams refuses (sipwise/rtpengine#1406); 10.5
# has no "only-<suite>" option, so each is excluded by name.
OTHER_SUITES: tuple[str, ...] = (
    "AEAD_AES_256_GCM",
    "AEAD_AES_128_GCM",
    "AES_256_CM_HMAC_SHA1_80",
    "AES_256_CM_HMAC_SHA1_32",
    "AES_192_CM_HMAC_SHA1_80",
    "AES_192_CM_HMAC_SHA1_32",
    "AES_CM_128_HMAC_SHA1_32",
    "F8_128_HMAC_SHA1_80",
    "F8_128_HMAC_SHA1_32",
    "NULL_HMAC_SHA1_80",
    "NULL_HMAC_SHA1_32",
)
SDES_ONLY_AES_CM_128_SHA1_80: tuple[str, ...] = tuple(f"no-{s}" for s in OTHER_SUITES)

# trust-address: take the peer's address from its SDP (never from a "received from" we do
#   not send), whatever the daemon's --sip-source default.
# port-latching: keep our local ports when a leg re-offers. Without it a re-offer whose
#   address changed (the late offer's answer, a carrier moving its RTP port) gave the
#   other leg a new port that nobody would tell it about.
COMMON_FLAGS: tuple[str, ...] = ("trust-address", "port-latching")
REPLACE: tuple[str, ...] = ("origin", "session-connection")
LIST_LIMIT = 1000  # call-ids per "list" reply: ~40 bytes each, well inside one datagram

Random = Callable[[int], bytes]


class Cookies:
    """Unique request cookies: a prefix from the injected random source (os.urandom by
    default), drawn once, and a counter. Replies are matched by cookie, and rtpengine
    answers a repeated cookie from its reply cache, so a cookie must never recur: within
    a process the counter sees to that, across restarts the random prefix does. One
    random draw per process instead of one system call per request."""

    def __init__(self, random: Random = os.urandom, size: int = 8) -> None:
        self._prefix = random(size).hex()
        self._count = 0

    def next(self) -> str:
        self._count += 1
        return f"{self._prefix}{self._count:x}"


def frame(cookie: str, command: Mapping[str, Any]) -> bytes:
    """The datagram for one request."""
    if not cookie or " " in cookie or not cookie.isascii():
        raise ValueError(f"bad ng cookie {cookie!r}")
    return cookie.encode("ascii") + b" " + bencode.encode(command)


def unframe(datagram: bytes) -> tuple[str, dict[str, Any]]:
    """(cookie, reply dict) from one datagram; ValueError when it is not an ng reply."""
    cookie, space, body = bytes(datagram).partition(b" ")
    if not space or not cookie:
        raise ValueError("ng: no cookie")
    try:
        text = cookie.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("ng: cookie is not ASCII") from None
    reply = bencode.decode(body)
    if not isinstance(reply, dict):
        raise ValueError("ng: reply is not a dictionary")
    return text, reply


def text(value: Any, default: str = "") -> str:
    """A bencoded byte string as text (rtpengine's strings are ASCII)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    return default


def check(name: str, reply: Mapping[str, Any]) -> dict[str, Any]:
    """The reply when rtpengine carried out `name`, else MediaError in plain words."""
    result = text(reply.get("result"))
    if result in ("ok", "pong"):
        return dict(reply)
    if result == "error":
        reason = text(reply.get("error-reason"), "no reason given")
        raise MediaError(f"rtpengine refused '{name}': {reason}", reason=reason)
    if result == "load limit":
        detail = text(reply.get("message"), "no details")
        raise MediaError(f"rtpengine refused '{name}': load limit reached ({detail})",
                         reason="load limit")
    raise MediaError(f"rtpengine answered '{name}' with an unknown result {result!r}")


def is_unknown_call(error: MediaError) -> bool:
    """rtpengine does not know the call (never set up, deleted, timed out, restarted)."""
    return (error.reason or "").lower().startswith("unknown call-id")


def codecs_for(sender: LegProfile, receiver: LegProfile) -> list[str]:
    """Codecs both sides allow, in the receiver's order: nothing else reaches either side,
    since an answer can only pick from what was offered."""
    return [name for name in receiver.codecs if name in sender.codecs]


def offer_flags(sender: LegProfile, receiver: LegProfile) -> dict[str, Any]:
    """Flags for an offer from `sender` whose SDP (as rewritten) goes to `receiver`."""
    flags: dict[str, Any] = {
        "flags": list(COMMON_FLAGS),
        "replace": list(REPLACE),
        "media-address": receiver.media_address,
        "transport-protocol": "RTP/SAVP" if receiver.srtp else "RTP/AVP",
        # toward a leg without rtcp-mux: still accept it from the offerer, but do not
        # pass it on (demux); toward Teams: offer it (with a=rtcp as RFC 5761 wants).
        "rtcp-mux": ["offer"] if receiver.rtcp_mux else ["demux"],
        "DTLS": "off",
        "codec": {"strip": ["all"], "except": codecs_for(sender, receiver)},
    }
    if receiver.strip_ice:
        flags["ICE"] = "remove"
    elif receiver.ice_lite:
        # our one candidate, whatever the offerer had; "require" leaves out the RTCP
        # port, so that one candidate is all (an "offer" of mux listed two)
        flags["ICE"] = "force"
        flags["rtcp-mux"] = ["require"]
    lite = ice_lite_direction(sender, receiver)
    if lite:
        flags["ICE-lite"] = lite
    if sender.strip_ice:
        # no ICE with the offerer either: without this rtpengine still ran ICE checks
        # (STUN) toward a Teams offer whose answer had no ICE, and sent it no RTP
        flags["flags"].append("reject-ICE")
    if sender.srtp or receiver.srtp:
        # also limits what we accept from an SRTP offerer, so our answer cannot pick
        # another suite either
        flags["SDES"] = list(SDES_ONLY_AES_CM_128_SHA1_80)
    return flags


def ice_lite_direction(sender: LegProfile, receiver: LegProfile) -> str | None:
    """rtpengine's `ICE-lite` value for an offer: toward the receiver (forward), the
    offerer (backward) or both. It is kept for the call, but only an offer can set it."""
    if sender.ice_lite and receiver.ice_lite:
        return "both"
    if receiver.ice_lite:
        return "forward"
    if sender.ice_lite:
        return "backward"
    return None


def answer_flags(offerer: LegProfile, answerer: LegProfile) -> dict[str, Any]:
    """Flags for an answer from `answerer`, whose SDP (as rewritten) goes to `offerer`.
    The transport protocol toward the offerer is the one it offered (rtpengine's rule)."""
    flags: dict[str, Any] = {
        "flags": list(COMMON_FLAGS),
        "replace": list(REPLACE),
        "media-address": offerer.media_address,
        "DTLS": "off",
    }
    if offerer.strip_ice:
        flags["ICE"] = "remove"
    elif offerer.ice_lite:
        flags["ICE"] = "force"
    if offerer.srtp or answerer.srtp:
        flags["SDES"] = list(SDES_ONLY_AES_CM_128_SHA1_80)
    return flags


def offer(call_id: str, sdp: bytes, *, from_tag: str, to_tag: str,
          sender: LegProfile, receiver: LegProfile) -> dict[str, Any]:
    """`from_tag` offers `sdp` to `to_tag` (to-tag given even in an initial offer, so
    rtpengine names both sides at once and a new to-tag re-targets the offerer)."""
    return {"command": "offer", "call-id": call_id, "from-tag": from_tag, "to-tag": to_tag,
            "sdp": sdp, **offer_flags(sender, receiver)}


def answer(call_id: str, sdp: bytes, *, from_tag: str, to_tag: str,
           offerer: LegProfile, answerer: LegProfile) -> dict[str, Any]:
    """`to_tag` answers the offer `from_tag` made (from-tag is always the offerer)."""
    return {"command": "answer", "call-id": call_id, "from-tag": from_tag, "to-tag": to_tag,
            "sdp": sdp, **answer_flags(offerer, answerer)}


def delete(call_id: str, from_tag: str | None = None) -> dict[str, Any]:
    """Forget the call (or one branch of it) now: no delete-delay, so `list` no longer
    shows it and its ports are free at once."""
    command: dict[str, Any] = {"command": "delete", "call-id": call_id, "delete delay": 0}
    if from_tag is not None:
        command["from-tag"] = from_tag
    return command


def query(call_id: str) -> dict[str, Any]:
    return {"command": "query", "call-id": call_id}


def list_calls(limit: int = LIST_LIMIT) -> dict[str, Any]:
    return {"command": "list", "limit": limit}


def ping() -> dict[str, Any]:
    return {"command": "ping"}


def call_ids(reply: Mapping[str, Any]) -> list[str]:
    """The call-ids in a `list` reply."""
    calls = reply.get("calls", [])
    if not isinstance(calls, list):
        return []
    return [text(item) for item in calls if isinstance(item, bytes | str)]


def ours(ids: Iterable[str], prefix: str) -> list[str]:
    """Call-ids carrying our prefix, with the prefix removed."""
    return [item[len(prefix):] for item in ids if item.startswith(prefix)]
