"""The media of one call: offers and answers between legs named by tags, through rtpengine.

Tags are the B2BUA's leg names: "a" (caller), "b" (callee), "c" (a transfer target), ...
`by` is the leg whose SDP we hold, `to` the leg the rewritten SDP goes to. In ng terms
the from-tag is always the offerer, so an answer by "b" to "a" is sent as from-tag "a",
to-tag "b".

Transfer: an offer by "a" to a new tag "c" re-targets a's media at c at once (rtpengine
drops a's offer/answer link to b). When c's answer completes that exchange, the leg it
replaced (b) is deleted from rtpengine: otherwise b's RTP, if b kept sending, would still
reach a on top of c's. If c never answers, an offer by "a" to "b" again (b's last SDP
answers it) puts a back with b.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import ng, sdp
from .activity import MediaActivity, parse_query
from .errors import MediaError
from .profile import LegProfile

if TYPE_CHECKING:
    from .relay import MediaRelay

log = logging.getLogger(__name__)


@dataclass
class _LateOffer:
    """A late offer in progress: `by` sent no SDP, we made one up for `to`."""

    by: str
    to: str
    answer: bytes | None = None  # `to`'s answer, replayed once `by` answers in its ACK


class MediaSession:
    """One call's media in rtpengine. Not thread-safe; one task per call drives it."""

    def __init__(self, relay: MediaRelay, call_id: str,
                 profiles: Mapping[str, LegProfile]) -> None:
        self.call_id = call_id
        self.ng_call_id = relay.prefix + call_id
        self.profiles: dict[str, LegProfile] = dict(profiles)
        self._relay = relay
        self._sent: dict[str, sdp.Origin] = {}  # the o= line (and SDP) last sent to a tag
        self._partner: dict[str, str] = {}  # who each tag last completed an exchange with
        self._late: _LateOffer | None = None
        # Offers and answers may (re)create the session in rtpengine: how many were
        # sent, how many await their reply, and how many had been sent when a delete
        # went out with none awaiting (None: never, or with some still on their way).
        self._shaped = 0
        self._shaping_now = 0
        self._deleted_after: int | None = None

    @property
    def needs_delete(self) -> bool:
        """False once a delete went out after every offer and answer had been answered
        and none was sent since: a second delete would only cost a round trip."""
        return self._shaping_now > 0 or self._deleted_after != self._shaped

    async def _shaping(self, command: dict[str, Any]) -> dict[str, Any]:
        """An offer or answer: counted, so `needs_delete` knows what may have come after
        a delete."""
        self._shaped += 1
        self._shaping_now += 1
        try:
            return await self._relay.request(command)
        finally:
            self._shaping_now -= 1

    async def offer(self, sdp_in: bytes | None, *, by: str, to: str) -> bytes:
        """`by` sent an SDP offer meant for `to`: the SDP to send to `to`.

        sdp_in=None is a late offer (a carrier INVITE without SDP): the offer returned for
        `to` lists by's codecs that `to` also takes (G.711 A/µ, G.722, telephone-event by
        default), so Teams gets SDP in its INVITE. Then `answer` gives the SDP for by's 2xx
        (an offer, in SIP terms) and `late_answer` takes by's answer from its ACK.
        """
        sender, receiver = self._pair(by, to)
        if sdp_in is None:
            session_id = int.from_bytes(self._relay.random(4), "big") or 1
            try:
                sdp_in = sdp.late_offer(sender.codecs, session_id)
            except ValueError:
                raise MediaError(f"cannot make a late offer for '{by}': none of its codecs "
                                 f"{', '.join(sender.codecs)} is G.711, G.722 or G.729") from None
            late = _LateOffer(by, to)
        else:
            late = None
        reply = await self._shaping(ng.offer(
            self.ng_call_id, sdp_in, from_tag=by, to_tag=to, sender=sender, receiver=receiver))
        if late is not None or (self._late is not None and self._late.by == by):
            self._late = late  # a real offer from the late offerer ends the late offer
        return self._out("offer", to, reply)

    async def answer(self, sdp_in: bytes, *, by: str, to: str) -> bytes:
        """`by` answered `to`'s offer: the SDP to send back to `to`. After a late offer by
        `to`, this goes to `to` as an offer in our 2xx, and `late_answer` follows."""
        answerer, offerer = self._pair(by, to)
        reply = await self._shaping(ng.answer(
            self.ng_call_id, sdp_in, from_tag=to, to_tag=by, offerer=offerer, answerer=answerer))
        out = self._out("answer", to, reply)
        if self._late is not None and (self._late.by, self._late.to) == (to, by):
            self._late.answer = sdp_in
        await self._paired(by, to)
        return out

    async def late_answer(self, sdp_in: bytes, *, by: str, to: str) -> None:
        """`by`, the late offerer, answered (the SDP in its ACK), so its media can flow.

        rtpengine has no message for "an answer to the answer", so by's SDP goes in as a
        re-offer (its output is what `to` already has: port latching keeps the port, and
        rtpengine keeps the SDES key) and to's answer is replayed. Nothing goes to `to`.
        """
        late = self._late
        if late is None or (late.by, late.to) != (by, to) or late.answer is None:
            raise ValueError(f"no late offer by '{by}' answered by '{to}' is waiting for "
                             "its ACK answer")
        sender, receiver = self._pair(by, to)
        reply = await self._shaping(ng.offer(
            self.ng_call_id, sdp_in, from_tag=by, to_tag=to, sender=sender, receiver=receiver))
        moved = _sdp(reply, "offer")
        known = self._sent.get(to)
        if known is not None and sdp.media_ports(moved) != sdp.media_ports(known.rest):
            log.warning("media %s: rtpengine moved %s's port on the late answer (%s -> %s); "
                        "%s keeps sending to the old one", self.call_id, to,
                        sdp.media_ports(known.rest), sdp.media_ports(moved), to)
        await self._shaping(ng.answer(
            self.ng_call_id, late.answer, from_tag=by, to_tag=to,
            offerer=sender, answerer=receiver))
        self._late = None

    async def delete(self) -> None:
        """Forget the call in rtpengine. Idempotent; errors other than "unknown call" are
        logged, never raised (the call is over either way)."""
        self._deleted_after = self._shaped if self._shaping_now == 0 else None
        try:
            await self._relay.request(ng.delete(self.ng_call_id))
        except MediaError as exc:
            if not ng.is_unknown_call(exc):
                log.warning("media %s: delete failed: %s", self.call_id, exc)
        self._partner.clear()
        self._late = None

    async def activity(self) -> MediaActivity | None:
        """Packets and addresses per leg; None when rtpengine no longer knows the call (it
        timed out after `timeout` seconds without RTP, or rtpengine restarted)."""
        try:
            reply = await self._relay.request(ng.query(self.ng_call_id))
        except MediaError as exc:
            if ng.is_unknown_call(exc):
                return None
            raise
        return parse_query(reply)

    def _pair(self, by: str, to: str) -> tuple[LegProfile, LegProfile]:
        missing = [tag for tag in (by, to) if tag not in self.profiles]
        if missing:
            raise ValueError(f"no LegProfile for tag(s) {', '.join(map(repr, missing))} "
                             f"(known: {', '.join(sorted(self.profiles))})")
        if by == to:
            raise ValueError(f"a leg cannot send SDP to itself ({by!r})")
        return self.profiles[by], self.profiles[to]

    def _out(self, name: str, to: str, reply: Mapping[str, Any]) -> bytes:
        body = _sdp(reply, name)
        if self.profiles[to].strip_ice:
            body = sdp.strip_ice(body)
        out, origin = sdp.keep_origin(body, self._sent.get(to))
        if origin is not None:
            self._sent[to] = origin
        return out

    async def _paired(self, one: str, two: str) -> None:
        """`one` and `two` completed an offer/answer; a leg either of them was paired with
        before is left over from a transfer and must stop sending to them."""
        stale = {self._partner.get(one), self._partner.get(two)} - {None, one, two}
        self._partner[one], self._partner[two] = two, one
        for tag in sorted(t for t in stale if t is not None):
            self._partner.pop(tag, None)
            try:
                await self._relay.request(ng.delete(self.ng_call_id, from_tag=tag))
            except MediaError as exc:
                if not ng.is_unknown_call(exc):
                    log.warning("media %s: could not drop the replaced leg %s: %s",
                                self.call_id, tag, exc)
            else:
                log.info("media %s: leg %s replaced, dropped from rtpengine", self.call_id, tag)


def _sdp(reply: Mapping[str, Any], name: str) -> bytes:
    body = reply.get("sdp")
    if not isinstance(body, bytes) or not body:
        raise MediaError(f"rtpengine's reply to '{name}' has no SDP")
    return body
