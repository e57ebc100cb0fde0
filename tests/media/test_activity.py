"""sbc.media.activity: a `query` reply (as rtpengine 10.5 writes it) to MediaActivity."""

from __future__ import annotations

from typing import Any

import pytest
from sbc.media.activity import MediaActivity, MediaStream, parse_query


def stream(port: int, flags: list[bytes], packets: int, last: int, remote: int | None = None,
           crypto: bytes | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "local port": port, "local address": b"127.0.0.1", "family": b"IPv4",
        "endpoint": {} if remote is None else {"family": b"IPv4", "address": b"127.0.0.1",
                                               "port": remote},
        "last packet": last, "flags": flags,
        "stats": {"packets": packets, "bytes": packets * 172, "errors": 0},
    }
    if crypto:
        item["crypto suite"] = crypto
    return item


REPLY: dict[str, Any] = {
    "result": b"ok",
    "tags": {
        "a": {"tag": b"a", "medias": [{"protocol": b"RTP/AVP", "streams": [
            stream(30000, [b"RTP", b"filled"], 5, 1700000010, 40000),
            stream(30001, [b"RTCP", b"filled"], 1, 1700000011, 40001),
        ]}]},
        "b": {"tag": b"b", "medias": [{"protocol": b"RTP/SAVP", "streams": [
            stream(30002, [b"RTP", b"RTCP"], 0, 1700000000, None, b"AES_CM_128_HMAC_SHA1_80"),
        ]}]},
        "c": {"tag": b"c", "medias": [{"streams": [{"flags": [b"RTP"], "stats": {}}]}]},
        "": {"tag": b"", "medias": []},
    },
    "totals": {"RTP": {"packets": 5, "bytes": 860, "errors": 0}, "RTCP": {"packets": 1}},
}


def test_parse_query() -> None:
    assert parse_query(REPLY) == MediaActivity(
        last_packet=1700000010.0,
        packets=5,
        streams=(
            MediaStream("a", "127.0.0.1:30000", "127.0.0.1:40000", "RTP/AVP", None, 5,
                        1700000010.0),
            MediaStream("b", "127.0.0.1:30002", None, "RTP/SAVP", "AES_CM_128_HMAC_SHA1_80", 0,
                        None),
        ),
    )


def test_no_packets_means_no_last_packet() -> None:
    quiet = {**REPLY, "tags": {"b": REPLY["tags"]["b"]}, "totals": {}}
    activity = parse_query(quiet)
    assert activity.last_packet is None and activity.packets == 0


@pytest.mark.parametrize("reply", [
    {}, {"tags": []}, {"tags": {"a": 5}}, {"tags": {"a": {"medias": 3}}},
    {"tags": {"a": {"medias": [{"streams": [5, {"flags": 7}]}]}}},
])
def test_odd_replies_do_not_break_it(reply: dict[str, Any]) -> None:
    assert parse_query(reply) == MediaActivity(None, 0, ())
