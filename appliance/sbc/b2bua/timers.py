"""RFC 4028 session timers, one negotiation per call leg.

A B2BUA negotiates each leg on its own: on the leg it places, our INVITE asks
(`request_headers`), a 422 may raise the interval (`retry_interval_after_422`) and the
2xx settles it (`uac_timer`); on the leg it answers, the peer's INVITE asks and our 2xx
settles it (`uas_too_small`, `uas_answer`). The result is a `LegTimer`: who refreshes
and when the leg is dead without a refresh. Nothing here keeps a clock; the call machine
passes the time of the last refresh.

Choices where RFC 4028 leaves room: when the choice of refresher is ours we take it
(a refresh we send does not depend on the peer's timer code), and a peer that does not
support timers cannot usefully be refused with a 422, so its interval is raised to our
floor instead (RFC 4028 erratum 1687, as §8.1 has proxies do).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..sip.address import parse_params
from ..sip.errors import SipPeerError, SipUsageError
from ..sip.fields import parse_uint
from ..sip.headers import Headers
from ..sip.message import Request, Response

MIN_INTERVAL = 90  # §4, §5: no Session-Expires or Min-SE may be lower
MAX_INTERVAL = 86400  # ours: a 422 asking for more than a day is not worth a retry
EXPIRY_MARGIN = 32  # §10: hang up min(32 s, interval/3) before the session expires


@dataclass(frozen=True)
class TimerSettings:
    """What we ask for (`session_expires`) and the least we accept (`min_se`)."""

    session_expires: int = 1800  # §4: 1800 s RECOMMENDED
    min_se: int = MIN_INTERVAL

    def __post_init__(self) -> None:
        if not MIN_INTERVAL <= self.min_se <= self.session_expires <= MAX_INTERVAL:
            raise SipUsageError(
                f"session timer settings need {MIN_INTERVAL} <= min_se ({self.min_se}) "
                f"<= session_expires ({self.session_expires}) <= {MAX_INTERVAL}")


@dataclass(frozen=True)
class LegTimer:
    """The negotiated session interval of one leg and who keeps it alive."""

    interval: int  # the negotiated Session-Expires, seconds
    we_refresh: bool  # the SBC sends the refreshes (re-INVITE or UPDATE) on this leg

    def refresh_at(self, since: float) -> float:
        """When we refresh: half the interval after the last refresh (§7.2), which
        leaves time for a retry before the peer gives up on us."""
        return since + self.interval / 2

    def expire_at(self, since: float) -> float:
        """When the session is dead without a refresh: slightly before the interval
        ends, by min(32 s, interval/3) (§10), so our BYE beats the peer's."""
        return since + self.interval - min(EXPIRY_MARGIN, self.interval / 3)


#   Session-Expires  =  ("Session-Expires" / "x") HCOLON delta-seconds
#                       *(SEMI se-params)
#   se-params        =  refresher-param / generic-param
#   refresher-param  =  "refresher" EQUAL  ("uas" / "uac")
#   Min-SE  =  "Min-SE" HCOLON delta-seconds *(SEMI generic-param)
def _delta_seconds(value: str, name: str) -> tuple[int, dict[str, str | None]]:
    head, semi, _ = value.partition(";")
    seconds = parse_uint(head, name, 2**32 - 1)
    params = parse_params(value, len(head), name) if semi else {}
    return seconds, params


def _session_expires(headers: Headers) -> tuple[int, str | None] | None:
    """(interval, refresher) of Session-Expires; the refresher is "uac", "uas" or None."""
    value = headers.get("Session-Expires")
    if value is None:
        return None
    seconds, params = _delta_seconds(value, "Session-Expires")
    refresher = (params.get("refresher") or "").lower()
    if refresher not in ("", "uac", "uas"):
        raise SipPeerError(400, f"bad Session-Expires refresher {refresher[:20]!r}")
    return seconds, refresher or None


def _min_se(headers: Headers) -> int | None:
    value = headers.get("Min-SE")
    return None if value is None else _delta_seconds(value, "Min-SE")[0]


def _asked(request: Request) -> tuple[tuple[int, str | None] | None, int | None]:
    """Session-Expires and Min-SE of a request; errors carry its headers for the 400."""
    try:
        return _session_expires(request.headers), _min_se(request.headers)
    except SipPeerError as err:
        raise err.with_context(status=400, headers=request.headers) from None


def supports_timer(request: Request) -> bool:
    """Whether the peer understands session timers (Supported or Require: timer)."""
    tags = request.headers.values("Supported") + request.headers.values("Require")
    return any(tag.lower() == "timer" for tag in tags)


def request_headers(settings: TimerSettings, interval: int | None = None, *,
                    min_se: int | None = None) -> list[tuple[str, str]]:
    """Session-Expires and Min-SE for our INVITE (or a refresh).

    No refresher parameter: §7.1 lets the UAS pick. After a 422 pass the new interval
    as both ``interval`` and ``min_se``: §7.1 has every later request carry the largest
    Min-SE seen. The caller adds ``Supported: timer``.
    """
    floor = max(settings.min_se, min_se or 0)
    asked = max(interval or settings.session_expires, floor)
    return [("Session-Expires", str(asked)), ("Min-SE", str(floor))]


def retry_interval_after_422(response: Response, current: int) -> int | None:
    """The interval to retry with after a 422 (§7.3): its Min-SE, when that is above
    what we asked and sane. None: give up and relay the failure (a second 422 for
    the same value would loop, AT-19)."""
    try:
        wanted = _min_se(response.headers)
    except SipPeerError:
        return None
    if wanted is None or wanted <= current or wanted > MAX_INTERVAL:
        return None
    return max(wanted, MIN_INTERVAL)


def uac_timer(response: Response, settings: TimerSettings) -> LegTimer | None:
    """The timer of a leg we placed, from the 2xx to our INVITE (§7.2).

    refresher=uac: we refresh; uas: the peer does. No Session-Expires: no timer on
    this leg. A missing refresher (a proxy added the header) leaves it to us, and
    a malformed value has us refresh at our Min-SE, which every hop accepted: the
    call is up and must not die of a header.
    """
    try:
        found = _session_expires(response.headers)
    except SipPeerError:
        return LegTimer(settings.min_se, we_refresh=True)
    if found is None:
        return None
    interval, refresher = found
    # below §4's floor the peer breaks the RFC; a tiny interval would have us spin
    return LegTimer(max(interval, MIN_INTERVAL), we_refresh=refresher != "uas")


def uas_too_small(request: Request, settings: TimerSettings) -> int | None:
    """The Min-SE to answer 422 with when the peer asks for less than our floor (§9).

    None: go on. Only a peer that supports timers gets a 422 (it can retry); for the
    others `uas_answer` raises the interval instead. Raises `SipPeerError` (400) for
    a malformed Session-Expires or Min-SE.
    """
    found, their_floor = _asked(request)
    if found is None or not supports_timer(request):
        return None
    floor = max(settings.min_se, their_floor or 0)
    return floor if found[0] < floor else None


def uas_answer(request: Request,
               settings: TimerSettings) -> tuple[list[tuple[str, str]], LegTimer | None]:
    """Headers for our 2xx to the peer's INVITE, and the leg's timer (§9).

    The peer's interval may be lowered to ours but not below its Min-SE or ours;
    its refresher choice is kept. A peer that supports timers and did not choose
    gets refresher=uas (we refresh) and ``Require: timer``; one that does not
    support them always gets refresher=uas and no Require. A peer with neither
    support nor Session-Expires gets no timer: ``([], None)``. Raises
    `SipPeerError` (400) for malformed values.
    """
    found, their_floor = _asked(request)
    supported = supports_timer(request)
    if found is None and not supported:
        return [], None
    floor = max(settings.min_se, their_floor or 0)
    if found is None:
        interval, refresher = max(settings.session_expires, floor), "uas"
    else:
        asked, chosen = found
        interval = max(min(asked, settings.session_expires), floor)
        refresher = chosen if supported and chosen else "uas"
    headers = [("Session-Expires", f"{interval};refresher={refresher}")]
    if supported:
        headers.append(("Require", "timer"))
    return headers, LegTimer(interval, we_refresh=refresher == "uas")
