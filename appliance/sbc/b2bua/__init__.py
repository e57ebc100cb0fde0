"""The B2BUA: calls between the carrier and Teams, each as two independent dialogs.

`CallManager` plugs into the engine's router (`install`); `Call` is one call;
`InviteAttempt` one outgoing INVITE; `Transfer` a REFER; the pure parts are
`timers` (RFC 4028), `refer` (RFC 3515/3891 parsing), `cdr` and `sdp`.
"""

from .manager import CallManager
from .signalling import Signalling

__all__ = ["CallManager", "Signalling"]
