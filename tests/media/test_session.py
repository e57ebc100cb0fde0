"""sbc.media.session against a fake ng server: which ng commands each step sends, the
o= line toward each side, late offers, transfers, and what delete/activity forgive."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from sbc.media import LegProfile, MediaError, MediaRelay, MediaSession

from .fakeng import FakeNg, Handler, ok

T = TypeVar("T")
CARRIER = LegProfile(srtp=False, rtcp_mux=False, strip_ice=True, media_address="198.51.100.7")
TEAMS = LegProfile(srtp=True, rtcp_mux=True, strip_ice=True, media_address="203.0.113.5")


def out_sdp(port: int = 30000, version: int = 1, user: str = "peer") -> bytes:
    return (f"v=0\r\no={user} 77 {version} IN IP4 203.0.113.5\r\ns=-\r\n"
            f"m=audio {port} RTP/AVP 8\r\n").encode()


class Engine:
    """Answers offer/answer with `next_sdp`, remembers nothing else."""

    def __init__(self) -> None:
        self.next_sdp = out_sdp()
        self.errors: dict[str, dict[str, Any]] = {}

    def __call__(self, cookie: str, command: dict[str, Any]) -> dict[str, Any] | None:
        name = command["command"]
        if name in self.errors:
            return self.errors[name]
        if name in ("offer", "answer"):
            return ok(sdp=self.next_sdp)
        if name == "query":
            return ok(tags={}, totals={"RTP": {"packets": 3}})
        return ok()


def run(handler: Handler, body: Callable[[FakeNg, MediaSession], Awaitable[T]],
        profiles: dict[str, LegProfile] | None = None) -> T:
    async def main() -> T:
        server = await FakeNg.start(handler)
        relay = MediaRelay("127.0.0.1", server.port, timeout=0.1, retries=1,
                           random=lambda n: b"\x01" * n)
        try:
            media = relay.session("call1", profiles or {"a": CARRIER, "b": TEAMS})
            return await asyncio.wait_for(body(server, media), 10)
        finally:
            await relay.close()
            server.close()

    return asyncio.run(main())


def test_offer_and_answer_commands() -> None:
    engine = Engine()

    async def body(server: FakeNg, media: MediaSession) -> None:
        assert media.call_id == "call1" and media.ng_call_id == "opensbc-call1"
        assert await media.offer(b"carrier sdp", by="a", to="b") == out_sdp()
        assert await media.answer(b"teams sdp", by="b", to="a") == out_sdp()
        offer, answer = server.commands
        assert (offer["command"], offer["call-id"], offer["from-tag"], offer["to-tag"]) == (
            "offer", "opensbc-call1", "a", "b")
        assert offer["sdp"] == b"carrier sdp" and offer["transport-protocol"] == "RTP/SAVP"
        assert offer["media-address"] == "203.0.113.5"
        # an answer names the offerer in from-tag; its SDP goes to the offerer
        assert (answer["command"], answer["from-tag"], answer["to-tag"]) == ("answer", "a", "b")
        assert answer["sdp"] == b"teams sdp" and answer["media-address"] == "198.51.100.7"

    run(engine, body)


def test_origin_stays_steady_toward_each_side() -> None:
    engine = Engine()

    async def body(server: FakeNg, media: MediaSession) -> None:
        first = await media.offer(b"x", by="a", to="b")
        engine.next_sdp = out_sdp(version=9, user="other")  # same media, someone else's o=
        assert await media.offer(b"x", by="a", to="b") == first
        engine.next_sdp = out_sdp(port=30010, version=1, user="other")
        moved = await media.offer(b"x", by="a", to="b")
        assert b"o=peer 77 2 IN IP4" in moved and b"m=audio 30010" in moved
        # the other side has its own o= history
        engine.next_sdp = out_sdp(version=5, user="teams")
        assert b"o=teams 77 5 " in await media.answer(b"y", by="b", to="a")

    run(engine, body)


def test_late_offer_answer_and_ack_answer() -> None:
    engine = Engine()

    async def body(server: FakeNg, media: MediaSession) -> None:
        await media.offer(None, by="a", to="b")
        made_up = server.commands[0]["sdp"]
        assert made_up.startswith(b"v=0\r\no=- 16843009 16843009 IN IP4 192.0.2.1\r\n")
        assert b"m=audio 9 RTP/AVP 8 0 9 101\r\n" in made_up
        assert await media.answer(b"teams answer", by="b", to="a") == out_sdp()
        await media.late_answer(b"carrier ack sdp", by="a", to="b")
        names = [(c["command"], c["from-tag"], c["to-tag"], c["sdp"]) for c in server.commands]
        assert names[2:] == [("offer", "a", "b", b"carrier ack sdp"),
                             ("answer", "a", "b", b"teams answer")]
        with pytest.raises(ValueError, match="no late offer"):
            await media.late_answer(b"again", by="a", to="b")

    run(engine, body)


def test_late_answer_needs_a_late_offer_answered_first() -> None:
    async def body(server: FakeNg, media: MediaSession) -> None:
        with pytest.raises(ValueError):
            await media.late_answer(b"x", by="a", to="b")
        await media.offer(None, by="a", to="b")
        with pytest.raises(ValueError):
            await media.late_answer(b"x", by="a", to="b")  # Teams has not answered yet
        await media.offer(b"real offer", by="a", to="b")  # a real offer ends the late one
        await media.answer(b"y", by="b", to="a")
        with pytest.raises(ValueError):
            await media.late_answer(b"x", by="a", to="b")

    run(Engine(), body)


def test_late_answer_warns_when_rtpengine_moves_the_port(caplog: pytest.LogCaptureFixture) -> None:
    engine = Engine()

    async def body(server: FakeNg, media: MediaSession) -> None:
        await media.offer(None, by="a", to="b")
        await media.answer(b"y", by="b", to="a")
        engine.next_sdp = out_sdp(port=31000)
        with caplog.at_level(logging.WARNING, logger="sbc.media.session"):
            await media.late_answer(b"x", by="a", to="b")
        assert "moved b's port on the late answer ((30000,) -> (31000,))" in caplog.text

    run(engine, body)


def test_late_offer_without_a_codec_it_can_write() -> None:
    odd = LegProfile(srtp=False, rtcp_mux=False, strip_ice=True, media_address="192.0.2.3",
                     codecs=("AMR-WB", "telephone-event"))

    async def body(server: FakeNg, media: MediaSession) -> None:
        with pytest.raises(MediaError, match="cannot make a late offer for 'a'"):
            await media.offer(None, by="a", to="b")
        assert server.commands == []

    run(Engine(), body, {"a": odd, "b": TEAMS})


def test_transfer_drops_the_replaced_leg_once_the_new_one_answers() -> None:
    async def body(server: FakeNg, media: MediaSession) -> None:
        await media.offer(b"a1", by="a", to="b")
        await media.answer(b"b1", by="b", to="a")
        media.profiles["c"] = TEAMS
        await media.offer(b"a1", by="a", to="c")
        assert [c["command"] for c in server.commands] == ["offer", "answer", "offer"]
        await media.answer(b"c1", by="c", to="a")
        assert server.commands[-1] == {"command": "delete", "call-id": "opensbc-call1",
                                       "delete delay": 0, "from-tag": "b"}
        # later exchanges between a and c drop nothing
        await media.offer(b"a2", by="c", to="a")
        await media.answer(b"a2", by="a", to="c")
        assert [c["command"] for c in server.commands].count("delete") == 1

    run(Engine(), body)


def test_failed_transfer_restored_drops_nothing() -> None:
    async def body(server: FakeNg, media: MediaSession) -> None:
        await media.offer(b"a1", by="a", to="b")
        await media.answer(b"b1", by="b", to="a")
        media.profiles["c"] = TEAMS
        await media.offer(b"a1", by="a", to="c")
        await media.offer(b"a1", by="a", to="b")
        await media.answer(b"b1", by="b", to="a")
        assert "delete" not in [c["command"] for c in server.commands]

    run(Engine(), body)


def test_delete_forgives_and_activity_knows_gone_calls(caplog: pytest.LogCaptureFixture) -> None:
    engine = Engine()
    unknown = {"result": "error", "error-reason": "Unknown call-id"}

    async def body(server: FakeNg, media: MediaSession) -> None:
        activity = await media.activity()
        assert activity is not None and activity.packets == 3
        await media.delete()
        engine.errors = {"delete": unknown, "query": unknown}
        await media.delete()
        assert await media.activity() is None
        engine.errors = {"delete": {"result": "error", "error-reason": "Broken"},
                         "query": {"result": "error", "error-reason": "Broken"}}
        with caplog.at_level(logging.WARNING, logger="sbc.media.session"):
            await media.delete()
        assert "delete failed: rtpengine refused 'delete': Broken" in caplog.text
        with pytest.raises(MediaError, match="Broken"):
            await media.activity()

    run(engine, body)


def test_delete_survives_a_silent_rtpengine() -> None:
    async def body(server: FakeNg, media: MediaSession) -> None:
        await media.delete()  # logs the timeout, raises nothing
        assert len(server.commands) == 2

    run(lambda cookie, command: None, body)


def test_misuse_is_a_value_error() -> None:
    async def body(server: FakeNg, media: MediaSession) -> None:
        with pytest.raises(ValueError, match="no LegProfile for tag"):
            await media.offer(b"x", by="a", to="c")
        with pytest.raises(ValueError, match="itself"):
            await media.answer(b"x", by="a", to="a")
        assert server.commands == []

    run(Engine(), body)


def test_a_reply_without_sdp_is_a_media_error() -> None:
    async def body(server: FakeNg, media: MediaSession) -> None:
        with pytest.raises(MediaError, match="reply to 'offer' has no SDP"):
            await media.offer(b"x", by="a", to="b")

    run(lambda cookie, command: ok(), body)


def test_profile_validation() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        LegProfile(srtp=False, rtcp_mux=False, strip_ice=True, media_address="sbc.example")
    with pytest.raises(ValueError):
        LegProfile(srtp=False, rtcp_mux=False, strip_ice=True, media_address="192.0.2.1",
                   codecs=())
    with pytest.raises(ValueError):
        LegProfile(srtp=False, rtcp_mux=False, strip_ice=True, media_address="192.0.2.1",
                   codecs="PCMA")  # type: ignore[arg-type]



def test_a_delete_is_needed_again_only_after_an_offer_or_answer() -> None:
    engine = Engine()

    async def body(server: FakeNg, media: MediaSession) -> None:
        await media.offer(b"carrier sdp", by="a", to="b")
        await media.answer(b"teams sdp", by="b", to="a")
        assert media.needs_delete
        await media.delete()
        assert not media.needs_delete  # the usual end of a call: one delete
        await media.offer(b"carrier sdp", by="a", to="b")  # a late offer re-created it
        assert media.needs_delete
        await media.delete()
        assert not media.needs_delete
        # An offer still on its way when the delete goes out may re-create the session
        # after it: the call's late clean-up must delete once more.
        offering = asyncio.create_task(media.offer(b"carrier sdp", by="a", to="b"))
        await asyncio.sleep(0)
        await media.delete()
        await offering
        assert media.needs_delete
        await media.delete()
        assert not media.needs_delete
        assert [c["command"] for c in server.commands] == [
            "offer", "answer", "delete", "offer", "delete", "offer", "delete", "delete"]

    run(engine, body)
