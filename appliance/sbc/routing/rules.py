"""The routing decision: the first rule that matches the source and the numbers wins.

Rules come from `Config.routes` (or the default routes the config builds without a
`routes:` section). A rule's regexes are searched in the E.164 numbers, its rewrites are
applied with `re.sub` (count 1), and its targets are expanded: a group by priority,
each connection once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..config import Config, Connection, Route
from .errors import RouteError
from .numbers import is_number
from .parties import CallParty


@dataclass(frozen=True)
class RouteDecision:
    """Where a call goes and with which numbers (E.164, after the rule's rewrites)."""

    route: str  # the rule's name, for logs and CDRs
    called: str
    calling: str | None
    privacy: bool
    targets: tuple[Connection, ...]  # in the order to try
    emergency: bool = False  # 110/112: no limit refuses it, a trunk number is presented


def _from_source(route: Route, source: Connection) -> bool:
    return not route.sources or source.name in route.sources or source.group in route.sources


def _rewrite(
    route: Route, regex: re.Pattern[str] | None, template: str | None, number: str, what: str
) -> str:
    if template is None:
        return number
    new = template if regex is None else regex.sub(template, number, count=1)
    if not is_number(new):
        # The config checks rewrites at load; only a '+' landing mid-number gets here.
        raise RouteError(500, f"route {route.name} rewrote the {what} number {number} to {new!r}")
    return new


def _apply(config: Config, route: Route, party: CallParty) -> RouteDecision | None:
    if route.called is not None and not route.called.search(party.called):
        return None
    if route.calling is not None and (
        party.calling is None or not route.calling.search(party.calling)
    ):
        return None
    called = _rewrite(route, route.called, route.rewrite_called, party.called, "called")
    calling = party.calling
    if route.rewrite_calling is not None:
        # A literal rewrite also numbers a call without one: carriers want a trunk number
        # in the identity header even when the caller withheld it (Privacy: id hides it).
        calling = _rewrite(route, route.calling, route.rewrite_calling, calling or "", "calling")
    targets = config.targets(route.to)
    if not targets:
        raise RouteError(503, f"route {route.name} has no connection to send the call to")
    return RouteDecision(route.name, called, calling, party.privacy, targets, party.emergency)


def decide(config: Config, source: Connection, party: CallParty) -> RouteDecision:
    """The first rule in `config.routes` for this source and these numbers.

    RouteError 404 when none matches; 500 when a rule's rewrite made a non-number.
    """
    for route in config.routes:
        if _from_source(route, source):
            decision = _apply(config, route, party)
            if decision is not None:
                return decision
    raise RouteError(404, f"no route for {party.called} from {source.name}")
