"""The request handlers of this stage: incoming OPTIONS, and calls refused for now.

OPTIONS from an allowed source gets 200 with Contact <sip:FQDN:TLS-PORT;transport=tls>,
Allow, Accept and Supported (see `identity`), plus the connection's profile headers
(X-MS-SBC for Teams) through `RequestContext.respond`. Each answered OPTIONS is recorded
per connection, because "Teams' OPTIONS arrive" is half of the Teams status (AT-6).

`refuse_calls` answers INVITE with 503 where no B2BUA is installed (the engine's own
tests): Teams treats 503 as a reason to try another SBC (FailoverResponseCodes). `sbc run`
installs `b2bua.CallManager` for INVITE instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .identity import capability_headers
from .router import RequestContext


@dataclass
class OptionsSeen:
    last_seen: float  # wall clock
    count: int
    source: str
    transport: str


class OptionsResponder:
    def __init__(self) -> None:
        self.seen: dict[str, OptionsSeen] = {}

    def __call__(self, ctx: RequestContext) -> None:
        identity = ctx.engine.identity
        headers = [("Contact", str(identity.options_contact())), *capability_headers()]
        ctx.respond(200, headers=headers)
        now = time.time()
        source = f"{ctx.source.host}:{ctx.source.port}"
        for conn in ctx.connections:
            entry = self.seen.get(conn.name)
            count = entry.count + 1 if entry is not None else 1
            self.seen[conn.name] = OptionsSeen(now, count, source, ctx.source.transport)

    def status(self, name: str) -> dict[str, object] | None:
        entry = self.seen.get(name)
        if entry is None:
            return None
        return {
            "last_seen": entry.last_seen,
            "count": entry.count,
            "source": entry.source,
            "transport": entry.transport,
        }


def refuse_calls(ctx: RequestContext) -> None:
    """INVITE without a B2BUA: 503, so Teams fails over instead of retrying."""
    ctx.respond(503)
