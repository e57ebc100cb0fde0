"""The SIP engine: what every request and response passes between the transports and
the calls and services above (which plug in through `Router`; the app builds it all).

- `identity`  FQDN, ports, Allow/Supported/Accept: what goes into our Via/Contact/From
- `sources`   allowlist decisions, which connection a source is, dropped-source counts
- `router`    handlers per method (`RequestContext`): where the B2BUA plugs in
- `engine`    `SipEngine`: the transports' receiver, the transaction layer on a real
              clock, peer errors answered in one place, `request()` for services
- `handlers`  incoming OPTIONS (200 + status), INVITE refused until the B2BUA exists

The B2BUA plugs in with ``engine.router.add("INVITE", ...)``, sends its requests through
``engine.send_request`` and answers through ``RequestContext``; nothing here imports the
layers above (`b2bua`, `services`, `app`).
"""

from .engine import EngineCounters, Outcome, ResponseHandler, SipEngine
from .handlers import OptionsResponder, refuse_calls
from .identity import ACCEPT, ALLOW, POLICY, SUPPORTED, SbcIdentity, capability_headers
from .router import RequestContext, Router
from .sources import SourceGate

__all__ = [
    "ACCEPT",
    "ALLOW",
    "POLICY",
    "SUPPORTED",
    "EngineCounters",
    "OptionsResponder",
    "Outcome",
    "RequestContext",
    "ResponseHandler",
    "Router",
    "SbcIdentity",
    "SipEngine",
    "SourceGate",
    "capability_headers",
    "refuse_calls",
]
