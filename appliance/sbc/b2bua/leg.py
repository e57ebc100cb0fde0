"""One side of a call: its dialog, where it lives, its media tag and its session timer.

A call has a leg "a" (who called us) and a leg "b" (whom we called); a transfer adds
"c". Each leg is an independent dialog (own Call-ID, tags, Via, Contact), so neither
side sees the other's topology.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import Connection
from ..sip.dialog import Dialog, DialogState
from ..transport import Peer
from .sdp import media_address
from .timers import LegTimer


@dataclass
class Leg:
    tag: str  # the media tag in rtpengine: "a", "b", "c"
    conn: Connection
    transport: str  # the transport of our Via/Contact toward it
    peer: Peer  # where the leg's first request went or came from (fallback next hop)
    dialog: Dialog | None = None
    timer: LegTimer | None = None
    refreshed: float = 0.0  # loop time of the last session refresh on this leg
    sdp_in: bytes | None = None  # the last SDP this side sent us
    sdp_out: bytes | None = None  # the last SDP we sent this side
    peer_allows: frozenset[str] = field(default_factory=frozenset)
    number: str | None = None  # the party's number (E.164), for status and transfers
    withheld: bool = False  # the party withheld its number (Privacy, anonymous From)
    contact_user: str | None = None  # the user part of our Contact toward it (presented)

    @property
    def confirmed(self) -> bool:
        return self.dialog is not None and self.dialog.state is DialogState.CONFIRMED

    def status(self) -> dict[str, object]:
        dialog = self.dialog
        return {
            "tag": self.tag,
            "connection": self.conn.name,
            "call_id": dialog.id.call_id if dialog is not None else None,
            "state": dialog.state.value if dialog is not None else "trying",
            "peer": str(self.peer),
            # where the peer receives RTP, and the relay's address it sends RTP to
            "media": media_address(self.sdp_in),
            "relay": media_address(self.sdp_out),
        }


def allows(value: str | None) -> frozenset[str]:
    """The methods an Allow header lists, upper-case."""
    if not value:
        return frozenset()
    return frozenset(item.strip().upper() for item in value.split(",") if item.strip())
