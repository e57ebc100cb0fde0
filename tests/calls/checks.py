"""Small readers for what the tests check: SIP URIs in headers, tags, SDP lines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .sipmsg import SipMessage

# RFC 3261 25.1: SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]
_URI = re.compile(r"^sips?:(?:(?P<user>[^@;>]+)@)?(?P<host>\[[^\]]+\]|[^:;>?]+)"
                  r"(?::(?P<port>\d+))?(?P<params>;[^>?]*)?")


@dataclass
class Uri:
    text: str
    user: str | None
    host: str
    port: int | None
    params: dict[str, str | None] = field(default_factory=dict)


def parse_uri(text: str) -> Uri:
    match = _URI.match(text.strip())
    assert match, f"not a SIP URI: {text!r}"
    params: dict[str, str | None] = {}
    for item in (match.group("params") or "").split(";"):
        if item:
            name, _, value = item.partition("=")
            params[name.lower()] = value or None
    port = match.group("port")
    return Uri(text, match.group("user"), match.group("host").lower(),
               int(port) if port else None, params)


def addr_uri(value: str) -> Uri:
    """The URI of a name-addr header value ("Name" <sip:...>;tag=x) or a bare addr-spec."""
    inner = re.search(r"<([^>]*)>", value)
    return parse_uri(inner.group(1) if inner else value.split(";", 1)[0])


def tag(value: str | None) -> str | None:
    """The tag parameter after the name-addr (From/To)."""
    if value is None:
        return None
    outside = value.rsplit(">", 1)[-1]
    match = re.search(r";\s*tag=([^;\s]+)", outside, re.I)
    return match.group(1) if match else None


def top_via(msg: SipMessage) -> tuple[str, str, int | None]:
    """(transport, host, port) of the top Via."""
    via = msg.header("Via") or ""
    match = re.match(r"SIP/2\.0/(\w+)\s+([^;:\s,]+)(?::(\d+))?", via)
    assert match, f"bad Via {via!r}\n{msg}"
    return match.group(1).upper(), match.group(2), int(match.group(3)) if match.group(3) else None


def via_branch(msg: SipMessage) -> str | None:
    """The branch parameter of the top Via."""
    match = re.search(r";\s*branch=([^;,\s]+)", msg.header("Via") or "")
    return match.group(1) if match else None


def sdp_media(msg: SipMessage) -> tuple[int, str]:
    """(port, proto) of the m=audio line."""
    for line in msg.sdp_lines():
        if line.startswith("m=audio "):
            parts = line.split()
            return int(parts[1]), parts[2]
    raise AssertionError(f"no m=audio line\n{msg}")


def sdp_attrs(msg: SipMessage, name: str) -> list[str]:
    """The values of a=<name>[:value] lines (empty string for a flag)."""
    out = []
    for line in msg.sdp_lines():
        if line.startswith(f"a={name}:"):
            out.append(line.split(":", 1)[1])
        elif line == f"a={name}":
            out.append("")
    return out


def sdp_direction(msg: SipMessage) -> str:
    found = [line[2:] for line in msg.sdp_lines()
             if line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive")]
    return found[-1] if found else "sendrecv"  # RFC 4566: sendrecv when none is given


def assert_plain_rtp(msg: SipMessage) -> None:
    """SDP for the carrier: RTP/AVP, no SDES key, no ICE (RFC 3264 answer rules aside)."""
    _, proto = sdp_media(msg)
    assert proto == "RTP/AVP", f"want RTP/AVP towards the carrier, got {proto}\n{msg}"
    leaked = [line for line in msg.sdp_lines()
              if line.startswith(("a=crypto", "a=ice-", "a=candidate", "a=fingerprint"))]
    assert not leaked, f"SRTP/ICE lines towards the carrier: {leaked}\n{msg}"


def assert_no_ms_candidates(msg: SipMessage) -> None:
    """Teams' own candidate lines (a=x-candidate-ipv6, as Lync/Teams SDP has them) are ICE
    too: nothing for the carrier (notes 1.5: strip ICE towards the carrier)."""
    leaked = [line for line in msg.sdp_lines() if line.startswith("a=x-candidate")]
    assert not leaked, f"Teams' candidate lines towards the carrier: {leaked}\n{msg}"


def assert_sdes(msg: SipMessage) -> str:
    """SDP for Teams: RTP/SAVP with exactly one AES_CM_128_HMAC_SHA1_80 key and rtcp-mux;
    returns the key's base64 (inline:, without lifetime/MKI)."""
    _, proto = sdp_media(msg)
    assert proto == "RTP/SAVP", f"want RTP/SAVP towards Teams, got {proto}\n{msg}"
    cryptos = sdp_attrs(msg, "crypto")
    assert len(cryptos) == 1, f"want one a=crypto line, got {cryptos}\n{msg}"
    match = re.match(r"\d+ AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/=]+)", cryptos[0])
    assert match, f"want AES_CM_128_HMAC_SHA1_80 inline:..., got {cryptos[0]}\n{msg}"
    assert sdp_attrs(msg, "rtcp-mux") == [""], f"want a=rtcp-mux\n{msg}"
    assert not sdp_attrs(msg, "fingerprint"), f"DTLS towards Teams\n{msg}"
    return match.group(1)
