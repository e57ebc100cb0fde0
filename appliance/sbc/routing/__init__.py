"""Call routing: who is called, where the call goes, how each target is addressed, and
when to fail over. Pure functions over the typed config and parsed SIP messages; no I/O
and no clock (the caller passes `now`).

    party = parties_of(invite, source)            # RouteError 484/416/400 on bad numbers
    decision = decide(config, source, party)      # RouteError 404: no route
    backoff = Backoff()                           # one per SBC, kept across calls
    for target in backoff.usable(decision.targets, now, healthy):   # empty: answer 503
        a = addressing(target, decision, config.sbc.fqdn)   # R-URI, From, To, PAI/PPI
                                                  # (emergency: the trunk's number)
        ...send; on a final answer: verdict(status, rang=...) is NEXT or FINAL;
        ...on 503: backoff.note(target.name, retry_after(response), now)

Numbers are E.164 inside (`numbers`), converted from and to each peer's `NumberPlan`.
"""

from .addressing import Addressing, addressing
from .emergency import (
    country_codes,
    dialled,
    emergency_number,
    emergency_numbers,
    trunk_number,
)
from .errors import RouteError
from .failover import MAX_RETRY_AFTER, Backoff, Verdict, retry_after, verdict
from .numbers import normalise
from .parties import CallParty, call_parties, parties_of
from .rules import RouteDecision, decide

__all__ = [
    "MAX_RETRY_AFTER",
    "Addressing",
    "Backoff",
    "CallParty",
    "RouteDecision",
    "RouteError",
    "Verdict",
    "addressing",
    "call_parties",
    "country_codes",
    "decide",
    "dialled",
    "emergency_number",
    "emergency_numbers",
    "normalise",
    "parties_of",
    "retry_after",
    "trunk_number",
    "verdict",
]
