"""The SBC application: the glue between config, transports, the SIP core and services.

- `identity`  FQDN, ports, Allow/Supported/Accept: what goes into our Via/Contact/From
- `sources`   allowlist decisions, which connection a source is, dropped-source counts
- `router`    handlers per method (`RequestContext`): where the B2BUA plugs in
- `engine`    `SipEngine`: the transports' receiver, the transaction layer on a real
              clock, peer errors answered in one place, `request()` for services
- `handlers`  incoming OPTIONS (200 + status), INVITE refused until the B2BUA exists
- `app`       `SbcApp`: loads the config, opens listeners, starts services, reloads on
              SIGHUP, writes the status file (import it as `sbc.core.app`)

Adding calls later: ``app.engine.router.add("INVITE", b2bua)``, with the B2BUA sending
its requests through ``engine.send_request`` and answering through ``RequestContext``.
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
