"""sbc.media.relay against a fake ng server: retransmission with the same cookie, late and
stray replies, many requests in flight, and errors in plain words."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from sbc.media import MediaError, MediaRelay, ng

from .fakeng import FakeNg, Handler, ok
from .rtpengine import free_udp_port

T = TypeVar("T")


def run(handler: Handler, body: Callable[[FakeNg, MediaRelay], Awaitable[T]], *,
        timeout: float = 0.2, retries: int = 2) -> T:
    async def main() -> T:
        server = await FakeNg.start(handler)
        relay = MediaRelay("127.0.0.1", server.port, timeout=timeout, retries=retries)
        try:
            return await asyncio.wait_for(body(server, relay), 10)
        finally:
            await relay.close()
            server.close()

    return asyncio.run(main())


def pong(cookie: str, command: dict[str, Any]) -> dict[str, Any]:
    return {"result": "pong"} if command["command"] == "ping" else ok()


def test_request_and_reply() -> None:
    async def body(server: FakeNg, relay: MediaRelay) -> None:
        assert await relay.ping()
        assert await relay.request({"command": "query", "call-id": "x"}) == {"result": b"ok"}
        assert server.names() == ["ping", "query"]
        assert relay.requests == 2 and relay.retransmissions == 0

    run(pong, body)


def test_silence_times_out_after_the_same_datagram_three_times() -> None:
    async def body(server: FakeNg, relay: MediaRelay) -> None:
        started = time.monotonic()
        with pytest.raises(MediaError) as info:
            await relay.request({"command": "offer", "call-id": "x"})
        elapsed = time.monotonic() - started
        assert 0.55 < elapsed < 2.0
        assert str(info.value) == (f"rtpengine at 127.0.0.1:{server.port} did not answer "
                                   "'offer' within 0.6 s (3 tries)")
        assert len(server.received) == 3 and len(set(server.received)) == 1
        assert relay.retransmissions == 2 and relay.failures == 1
        assert not await relay.ping()

    run(lambda cookie, command: None, body)


def test_a_retransmission_gets_the_answer() -> None:
    seen: list[str] = []

    def third_time(cookie: str, command: dict[str, Any]) -> dict[str, Any] | None:
        seen.append(cookie)
        return ok(sdp="v=0") if len(seen) == 3 else None

    async def body(server: FakeNg, relay: MediaRelay) -> None:
        reply = await relay.request({"command": "offer"})
        assert reply["sdp"] == b"v=0"
        assert len(set(seen)) == 1  # same cookie each time: rtpengine's cache sees a repeat

    run(third_time, body)


def test_a_late_reply_to_the_first_try_is_taken() -> None:
    async def body(server: FakeNg, relay: MediaRelay) -> None:
        task = asyncio.ensure_future(relay.request({"command": "offer"}))
        while len(server.received) < 2:  # the first try timed out, the second is out
            await asyncio.sleep(0.01)
        cookie = server.received[0].split(b" ")[0].decode()
        server.send(ok(sdp="late"), cookie)
        server.send(ok(sdp="duplicate"), cookie)  # rtpengine answers both tries
        assert (await task)["sdp"] == b"late"
        assert len(server.received) == 2

    run(lambda cookie, command: None, body, timeout=0.3)


def test_wrong_cookies_and_garbage_are_ignored() -> None:
    def noisy(cookie: str, command: dict[str, Any]) -> list[Any]:
        return [ng.frame("not-" + cookie, ok(sdp="wrong")), b"garbage", b"x le",
                ng.frame(cookie, ok(sdp="right"))]

    async def body(server: FakeNg, relay: MediaRelay) -> None:
        assert (await relay.request({"command": "offer"}))["sdp"] == b"right"

    run(noisy, body)


def test_many_requests_in_flight_each_get_their_own_reply() -> None:
    held: list[tuple[str, dict[str, Any]]] = []

    async def body(server: FakeNg, relay: MediaRelay) -> None:
        tasks = [asyncio.ensure_future(relay.request({"command": "query", "call-id": str(n)}))
                 for n in range(20)]
        while len(held) < 20:
            await asyncio.sleep(0.01)
        for cookie, command in reversed(held):
            server.send(ok(echo=command["call-id"]), cookie)
        replies = await asyncio.gather(*tasks)
        assert [r["echo"] for r in replies] == [str(n).encode() for n in range(20)]

    def hold(cookie: str, command: dict[str, Any]) -> None:
        if (cookie, command) not in held:
            held.append((cookie, command))

    run(hold, body, timeout=2.0)


def test_refusals_are_errors_with_rtpengines_reason() -> None:
    def refuse(cookie: str, command: dict[str, Any]) -> dict[str, Any]:
        if command["command"] == "offer":
            return {"result": "load limit", "message": "too many calls"}
        return {"result": "error", "error-reason": "Unknown call-id"}

    async def body(server: FakeNg, relay: MediaRelay) -> None:
        with pytest.raises(MediaError, match="^rtpengine refused 'answer': Unknown call-id$"):
            await relay.request({"command": "answer"})
        with pytest.raises(MediaError, match="load limit reached"):
            await relay.request({"command": "offer"})

    run(refuse, body)


def test_nothing_listening_is_said_plainly() -> None:
    async def main() -> None:
        relay = MediaRelay("127.0.0.1", free_udp_port(), timeout=0.1, retries=1)
        try:
            with pytest.raises(MediaError, match=r"\(2 tries\); nothing is listening there"):
                await relay.request({"command": "ping"})
        finally:
            await relay.close()

    asyncio.run(asyncio.wait_for(main(), 10))


def test_close_fails_waiting_requests_and_later_ones() -> None:
    async def body(server: FakeNg, relay: MediaRelay) -> None:
        task = asyncio.ensure_future(relay.request({"command": "ping"}))
        while not server.received:
            await asyncio.sleep(0.01)
        await relay.close()
        with pytest.raises(MediaError, match="closed"):
            await task
        with pytest.raises(MediaError, match="closed"):
            await relay.request({"command": "ping"})

    run(lambda cookie, command: None, body, timeout=5.0)


def test_list_calls_and_cleanup_touch_only_our_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = ["opensbc-1", "other-1", "opensbc-2", "opensbc-3", "other-2", "opensbc-4"]

    def engine(cookie: str, command: dict[str, Any]) -> dict[str, Any]:
        if command["command"] == "list":
            return ok(calls=calls[:3])  # pages of 3, as if LIST_LIMIT were 3
        if command["command"] == "delete":
            calls.remove(command["call-id"])
            if command["call-id"] == "opensbc-3":
                return {"result": "error", "error-reason": "Unknown call-id"}
            return ok()
        return ok()

    async def body(server: FakeNg, relay: MediaRelay) -> None:
        monkeypatch.setattr(ng, "LIST_LIMIT", 3)
        assert await relay.list_calls() == ["1", "2"]
        assert await relay.cleanup() == 4
        assert calls == ["other-1", "other-2"]
        assert await relay.cleanup() == 0

    run(engine, body)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        MediaRelay(timeout=0)
    with pytest.raises(ValueError):
        MediaRelay(retries=-1)
    with pytest.raises(ValueError):
        MediaRelay(max_in_flight=0)


def test_requests_beyond_max_in_flight_wait_their_turn() -> None:
    held: list[str] = []

    def hold(cookie: str, command: dict[str, Any]) -> None:
        held.append(cookie)

    async def main() -> None:
        server = await FakeNg.start(hold)
        relay = MediaRelay("127.0.0.1", server.port, timeout=2.0, max_in_flight=4)
        try:
            tasks = [asyncio.ensure_future(relay.request({"command": "ping"})) for _ in range(10)]
            while len(held) < 4:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)
            assert len(held) == 4  # the other six have not been sent
            while len(held) < 10:
                for cookie in held:
                    server.send({"result": "pong"}, cookie)
                await asyncio.sleep(0.02)
            for cookie in held:
                server.send({"result": "pong"}, cookie)
            replies = await asyncio.gather(*tasks)
            assert all(r == {"result": b"pong"} for r in replies)
            assert relay.retransmissions == 0
        finally:
            await relay.close()
            server.close()

    asyncio.run(asyncio.wait_for(main(), 10))


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_requests_leave_no_reference_cycles(loop: str) -> None:
    """A cycle per request fed the garbage collector's full passes (90 ms pauses under
    load): answered requests must be freed by reference counting alone."""
    import gc

    import uvloop

    async def main() -> int:
        server = await FakeNg.start(pong)
        relay = MediaRelay("127.0.0.1", server.port, timeout=0.2, retries=2)
        try:
            await relay.ping()  # the socket and everything made once
            gc.collect()
            gc.set_debug(gc.DEBUG_SAVEALL)
            for n in range(50):
                await relay.request({"command": "query", "call-id": f"c{n}"})
            gc.collect()
            return len(gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            await relay.close()
            server.close()

    factory = uvloop.new_event_loop if loop == "uvloop" else asyncio.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        assert runner.run(main()) < 10  # not one cycle per request
