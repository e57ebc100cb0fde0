"""`sbc doctor`: is this box ready, and what is the next step?

One line per check, ok/warn/fail, each with one sentence on what to do, in the order
docs/walkthrough.md sets a box up. The parts keep logic apart from I/O:

- `facts`     the frozen values the checks read
- `gather`    the I/O that fills them (config, status file, DNS, nft, rtpengine, clock)
- `checks`    config, FQDN, certificate, CA bundle, TLS port (pure)
- `live`      the running SBC, OPTIONS both ways, registration, firewall, media, clock (pure)
- `nftables`  would the loaded ruleset let a packet in (pure, from `nft -j`)
- `finding`   one line of the report; `report` renders them as text or JSON
- `teams`     `sbc teams-setup`: the Teams PowerShell for this box
- `cli`       both sub-commands
"""

from .checks import run_checks
from .facts import Facts
from .finding import Finding
from .gather import Gatherers
from .report import as_json, as_text, next_step

__all__ = ["Facts", "Finding", "Gatherers", "as_json", "as_text", "next_step", "run_checks"]
