"""The `media:` and `calls:` sections: rtpengine, RTP ports, failover and session timers."""

from __future__ import annotations

from typing import Any

from .issues import ConfigIssue, Severity
from .model import CallsConfig, MediaConfig, SbcSettings
from .nodes import INVALID, Doc, Node
from .sections import ip_port
from .table import Key, read_table
from .values import IP_PORT, ValueType, integer, text, typed

# rtpengine takes an RTP/RTCP pair on each side of a call; fewer than 2 ports per call
# cannot work at all, fewer than 4 runs out before calls.max_calls is reached.
MIN_PORTS_PER_CALL = 2
PORTS_PER_CALL = 4
# RFC 4028 §4: Min-SE is never below 90 seconds.
RFC4028_MIN_SE = 90


@typed(ValueType(IP_PORT))
def _control_socket(doc: Doc, node: Node, path: str) -> Any:
    """rtpengine's ng socket: 'IP:PORT' on loopback (the ng protocol has no authentication)."""
    value = text(max_len=64)(doc, node, path)
    if value is INVALID:
        return value
    found = ip_port(value)
    if found is None:
        return doc.error(node, path, f"must be IP:PORT such as 127.0.0.1:2223 (got {value!r})")
    address, port_no = found
    if not address.is_loopback:
        return doc.error(
            node,
            path,
            f"must be a loopback address such as 127.0.0.1:2223: the ng protocol has no "
            f"authentication (got {value!r})",
        )
    return (str(address), port_no)


# All of them are in rtpengine's file (sbc.config.rtpengine), which it reads only at start.
_MEDIA_KEYS = (
    Key(
        "rtpengine",
        _control_socket,
        MediaConfig.rtpengine,
        "rtpengine's ng control socket",
        "restart-media",
    ),
    Key(
        "port_min", integer(1024, 65535), MediaConfig.port_min, "first RTP port", "restart-media"
    ),
    Key("port_max", integer(1024, 65535), MediaConfig.port_max, "last RTP port", "restart-media"),
    Key(
        "no_rtp_timeout",
        integer(5, 3600, "seconds"),
        MediaConfig.no_rtp_timeout,
        "no RTP this long: BYE both ways",
        "restart-media",
    ),
)

_CALLS_KEYS = (
    Key(
        "failover_timeout",
        integer(1, 120, "seconds"),
        CallsConfig.failover_timeout,
        "no provisional answer this long: CANCEL, try the next target",
    ),
    Key(
        "session_expires",
        integer(RFC4028_MIN_SE, 86400, "seconds"),
        CallsConfig.session_expires,
        "RFC 4028 session interval asked for",
    ),
    Key(
        "min_se",
        integer(RFC4028_MIN_SE, 86400, "seconds"),
        CallsConfig.min_se,
        "shortest session interval accepted",
    ),
    Key("max_calls", integer(1, 100000), CallsConfig.max_calls, "more are refused with 503"),
)


def read_media(doc: Doc, node: Node | None) -> MediaConfig | None:
    f = read_table(doc, node, "media", _MEDIA_KEYS)
    if not f.ok:
        return None
    if f["port_min"] >= f["port_max"]:
        doc.error(
            f.node_of("port_max"),
            "media.port_max",
            f"must be above port_min {f['port_min']} (got {f['port_max']})",
        )
        return None
    return MediaConfig(**f.values)


def read_calls(doc: Doc, node: Node | None) -> CallsConfig | None:
    f = read_table(doc, node, "calls", _CALLS_KEYS)
    if not f.ok:
        return None
    if f["session_expires"] < f["min_se"]:
        doc.error(
            f.node_of("session_expires"),
            "calls.session_expires",
            f"must be at least min_se {f['min_se']} (got {f['session_expires']})",
        )
        return None
    return CallsConfig(**f.values)


def check_media(doc: Doc, media: MediaConfig, calls: CallsConfig, sbc: SbcSettings) -> None:
    """Problems between sections: too few RTP ports for max_calls (an error; too few for
    comfort warns), a SIP port inside the RTP range (a warning: rtpengine skips ports in
    use, but may hold that one when the SBC restarts)."""
    line = doc.lines.get("media.port_max") or doc.lines.get("media")
    ports = media.port_max - media.port_min + 1
    span = f"{media.port_min}..{media.port_max} holds {ports} ports"
    if ports < MIN_PORTS_PER_CALL * calls.max_calls:
        doc.log.add(
            ConfigIssue(
                doc.file,
                line,
                "media.port_max",
                f"{span}: fewer than {MIN_PORTS_PER_CALL} per call for calls.max_calls "
                f"{calls.max_calls}",
            )
        )
    elif ports < PORTS_PER_CALL * calls.max_calls:
        doc.log.add(
            ConfigIssue(
                doc.file,
                line,
                "media.port_max",
                f"{span}; rtpengine uses {PORTS_PER_CALL} per call (an RTP/RTCP pair each "
                f"side), so calls.max_calls {calls.max_calls} may run out of ports",
                Severity.WARNING,
            )
        )
    for i, listener in enumerate(sbc.listen):
        if media.port_min <= listener.port <= media.port_max:
            doc.log.add(
                ConfigIssue(
                    doc.file,
                    doc.lines.get("media.port_min") or line,
                    "media.port_min",
                    f"the RTP ports {media.port_min}..{media.port_max} include SIP port "
                    f"{listener.port} (sbc.listen[{i}]): rtpengine may hold it when the SBC "
                    "restarts",
                    Severity.WARNING,
                )
            )
            return
