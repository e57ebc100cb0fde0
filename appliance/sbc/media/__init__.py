"""The media plane: rtpengine anchors every call's RTP; this package drives it over "ng".

    relay = MediaRelay("127.0.0.1", 2223)
    media = relay.session(call_id, {"a": carrier_profile, "b": teams_profile})
    sdp_for_teams = await media.offer(carrier_sdp, by="a", to="b")
    sdp_for_carrier = await media.answer(teams_sdp, by="b", to="a")
    ...
    await media.delete()

`bencode` and `ng` are the wire protocol without I/O; `relay` is the asyncio client;
`session` the per-call offer/answer logic; `conf` renders rtpengine's config file.
See docs/media.md for the ng flags and why each is there.
"""

from .activity import MediaActivity, MediaStream
from .errors import MediaError
from .profile import DEFAULT_CODECS, LegProfile
from .relay import MediaRelay
from .session import MediaSession

__all__ = [
    "DEFAULT_CODECS",
    "LegProfile",
    "MediaActivity",
    "MediaError",
    "MediaRelay",
    "MediaSession",
    "MediaStream",
]
