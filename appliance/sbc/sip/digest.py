"""HTTP Digest authentication, client side, as SIP uses it (RFC 3261 §22, RFC 2617,
RFC 7616, and RFC 8760 for SHA-256 in SIP).

Parse the challenges of a 401/407 (`challenges_of`), pick the strongest one we can answer
(`choose`), and let a `DigestClient` compute the Authorization / Proxy-Authorization
value. qop=auth (or auth-int) uses a client nonce from the injected random source and a
nonce count kept per server nonce; a challenge without qop gets the RFC 2069 answer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import abnf
from .errors import SipPeerError
from .ids import RandomBytes
from .message import Response

#   challenge  =  ("Digest" LWS digest-cln *(COMMA digest-cln)) / other-challenge
#   auth-param =  auth-param-name EQUAL ( token / quoted-string )
_SCHEME = re.compile(rf"{abnf.SWS}({abnf.TOKEN})(?:{abnf.LWS}|\Z)")
_PARAM = re.compile(
    rf"{abnf.SWS}({abnf.TOKEN}){abnf.SWS}={abnf.SWS}({abnf.QUOTED_STRING}|{abnf.TOKEN})"
)
_COMMA = re.compile(rf"{abnf.SWS},")

_HASHES: dict[str, Callable[[bytes], str]] = {
    "MD5": lambda data: hashlib.md5(data).hexdigest(),
    "SHA-256": lambda data: hashlib.sha256(data).hexdigest(),
    "SHA-512-256": lambda data: hashlib.new("sha512_256", data).hexdigest(),
}
# Strongest first (RFC 8760 §2.4: use the strongest algorithm offered).
_PREFERENCE = ("SHA-512-256", "SHA-256", "MD5")


def _drop(reason: str) -> SipPeerError:
    return SipPeerError(None, reason)


@dataclass(frozen=True)
class Challenge:
    """One challenge; ``params`` keys are lower-case, values unquoted."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)
    proxy: bool = False  # from Proxy-Authenticate: answer in Proxy-Authorization

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")

    @property
    def nonce(self) -> str:
        return self.params.get("nonce", "")

    @property
    def algorithm(self) -> str:
        """The algorithm in upper case; MD5 when the server names none."""
        return self.params.get("algorithm", "MD5").upper()

    @property
    def base_algorithm(self) -> str:
        return self.algorithm.removesuffix("-SESS")

    @property
    def qop_options(self) -> list[str]:
        return [q.strip().lower() for q in self.params.get("qop", "").split(",") if q.strip()]

    @property
    def stale(self) -> bool:
        return self.params.get("stale", "").lower() == "true"

    @property
    def supported(self) -> bool:
        """Whether we can answer it: Digest with a known algorithm and a usable qop."""
        qops = self.qop_options
        return (
            self.scheme.lower() == "digest"
            and self.base_algorithm in _HASHES
            and (not qops or "auth" in qops or "auth-int" in qops)
        )


def parse_challenges(value: str, *, proxy: bool = False) -> list[Challenge]:
    """Parse a WWW-Authenticate / Proxy-Authenticate value (one or more challenges)."""
    out: list[Challenge] = []
    pos, end = 0, len(value.rstrip(" \t"))
    while pos < end:
        scheme = _SCHEME.match(value, pos)
        if scheme is None:
            raise _drop(f"malformed challenge {value[pos:pos + 40]!r}")
        pos = scheme.end()
        params: dict[str, str] = {}
        while pos < end:
            param = _PARAM.match(value, pos)
            if param is None:
                break
            params.setdefault(param.group(1).lower(), abnf.unquote(param.group(2)))
            pos = param.end()
            comma = _COMMA.match(value, pos)
            if comma is None:
                break
            pos = comma.end()
        out.append(Challenge(scheme.group(1), params, proxy))
        if pos < end and not out[-1].params:
            raise _drop(f"malformed challenge {value[pos:pos + 40]!r}")
    return out


def challenges_of(response: Response) -> list[Challenge]:
    """Every challenge in a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate)."""
    found = []
    for value in response.headers.get_all("WWW-Authenticate"):
        found += parse_challenges(value)
    for value in response.headers.get_all("Proxy-Authenticate"):
        found += parse_challenges(value, proxy=True)
    return found


def choose(challenges: list[Challenge]) -> list[Challenge]:
    """The challenges to answer: per realm, the strongest one we support."""
    best: dict[tuple[bool, str], Challenge] = {}
    for challenge in challenges:
        if not challenge.supported:
            continue
        key = (challenge.proxy, challenge.realm)
        have = best.get(key)
        rank = _PREFERENCE.index(challenge.base_algorithm)
        if have is None or rank < _PREFERENCE.index(have.base_algorithm):
            best[key] = challenge
    return list(best.values())


def _param(name: str, value: str, quoted: bool = True) -> str:
    return f"{name}={abnf.quote(value)}" if quoted else f"{name}={value}"


def compute_response(
    challenge: Challenge,
    *,
    username: str,
    password: str,
    method: str,
    uri: str,
    qop: str | None,
    cnonce: str = "",
    nc: str = "",
    body: bytes = b"",
) -> str:
    """The request-digest of RFC 7616 §3.4.1 (RFC 2617 §3.2.2, RFC 2069 without qop)."""
    h = _HASHES[challenge.base_algorithm]
    text = abnf.encode
    ha1 = h(text(f"{username}:{challenge.realm}:{password}"))
    if challenge.algorithm.endswith("-SESS"):
        ha1 = h(text(f"{ha1}:{challenge.nonce}:{cnonce}"))
    a2 = f"{method}:{uri}"
    if qop == "auth-int":
        a2 += ":" + h(body)
    ha2 = h(text(a2))
    if qop is None:
        return h(text(f"{ha1}:{challenge.nonce}:{ha2}"))
    return h(text(f"{ha1}:{challenge.nonce}:{nc}:{cnonce}:{qop}:{ha2}"))


class DigestClient:
    """Answers challenges for one set of credentials, counting nc per server nonce."""

    def __init__(self, username: str, password: str, random: RandomBytes) -> None:
        self.username = username
        self.password = password
        self._random = random
        self._counts: dict[str, int] = {}

    def authorization(
        self, challenge: Challenge, method: str, uri: str, body: bytes = b""
    ) -> tuple[str, str]:
        """``(header name, value)`` answering ``challenge`` for a request."""
        if not challenge.supported:
            raise _drop(f"cannot answer a {challenge.scheme} {challenge.algorithm} challenge")
        qops = challenge.qop_options
        qop = "auth" if "auth" in qops else ("auth-int" if qops else None)
        cnonce = nc = ""
        if qop is not None or challenge.algorithm.endswith("-SESS"):
            cnonce = self._random(8).hex()
        if qop is not None:
            count = self._counts.get(challenge.nonce, 0) + 1
            self._counts[challenge.nonce] = count
            nc = f"{count:08x}"
        username = self.username
        userhash = challenge.params.get("userhash", "").lower() == "true"
        if userhash:
            h = _HASHES[challenge.base_algorithm]
            username = h(abnf.encode(f"{self.username}:{challenge.realm}"))
        digest = compute_response(
            challenge,
            username=self.username,
            password=self.password,
            method=method,
            uri=uri,
            qop=qop,
            cnonce=cnonce,
            nc=nc,
            body=body,
        )
        parts = [
            _param("username", username),
            _param("realm", challenge.realm),
            _param("nonce", challenge.nonce),
            _param("uri", uri),
            _param("response", digest),
            _param("algorithm", challenge.params.get("algorithm", "MD5"), quoted=False),
        ]
        if cnonce:
            parts.append(_param("cnonce", cnonce))
        if "opaque" in challenge.params:
            parts.append(_param("opaque", challenge.params["opaque"]))
        if qop is not None:
            parts += [_param("qop", qop, quoted=False), _param("nc", nc, quoted=False)]
        if userhash:
            parts.append(_param("userhash", "true", quoted=False))
        name = "Proxy-Authorization" if challenge.proxy else "Authorization"
        return name, "Digest " + ", ".join(parts)

    def answer(
        self, response: Response, method: str, uri: str, body: bytes = b""
    ) -> list[tuple[str, str]]:
        """Headers answering every challenge we support in a 401/407 (none: give up)."""
        return [
            self.authorization(challenge, method, uri, body)
            for challenge in choose(challenges_of(response))
        ]
