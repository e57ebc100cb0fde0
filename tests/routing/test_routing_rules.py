"""Rules in order, regex groups and rewrites, group expansion, the default routes."""

from __future__ import annotations

import pytest
from sbc.config import Config
from sbc.routing import CallParty, RouteDecision, RouteError, decide

from .conftest import BASE, config_of, conn

INBOUND = CallParty("+4930123456789", "+4940111222", False)
OUTBOUND = CallParty("+4940111222", "+4930123456789", False)


def names(decision: RouteDecision) -> list[str]:
    return [t.name for t in decision.targets]


def test_default_routes(config: Config) -> None:
    """Without routes: the carrier goes to Teams, Teams to the carrier; the PBX nowhere."""
    assert [(r.name, r.sources, r.to) for r in config.routes] == [
        ("Telekom to Teams", ("Telekom",), ("Teams",)),
        ("Teams to Telekom", ("Teams",), ("Telekom",)),
    ]
    inbound = decide(config, conn(config, "Telekom"), INBOUND)
    assert inbound == RouteDecision(
        "Telekom to Teams", "+4930123456789", "+4940111222", False, inbound.targets
    )
    assert names(inbound) == ["Teams1", "Teams2", "Teams3"]
    outbound = decide(config, conn(config, "Teams2"), OUTBOUND)
    assert (outbound.route, names(outbound)) == ("Teams to Telekom", ["Telekom"])
    with pytest.raises(RouteError) as info:
        decide(config, conn(config, "Pbx"), INBOUND)
    assert (info.value.status, info.value.reason) == (
        404,
        "no route for +4930123456789 from Pbx",
    )


def test_first_match_wins_and_regex_groups_rewrite() -> None:
    config = config_of(
        r"""
        routes:
          - name: pbx-range
            from: Telekom
            called: '^\+4930123456(7\d\d)$'
            rewrite_called: '0\1'
            to: Pbx
          - name: emergency
            from: [Teams, Pbx]
            called: '^11[02]$'
            rewrite_calling: '+4930123456780'
            to: Telekom
          - name: ddi
            from: Teams
            calling: '^\+4930123456(\d+)$'
            rewrite_calling: '+49301234560\1'
            to: Telekom
          - name: rest
            to: [Teams, Pbx]
        """
    )
    telekom, teams1, pbx = (conn(config, n) for n in ("Telekom", "Teams1", "Pbx"))
    first = decide(config, telekom, INBOUND)
    assert (first.route, first.called, names(first)) == ("pbx-range", "0789", ["Pbx"])
    other = decide(config, telekom, CallParty("+4930123456000", None, True))
    assert (other.route, other.called, other.calling, other.privacy) == (
        "rest",
        "+4930123456000",
        None,
        True,
    )
    assert names(other) == ["Teams1", "Teams2", "Teams3", "Pbx"]
    sos = decide(config, pbx, CallParty("112", None, True))
    assert (sos.route, sos.calling, sos.privacy) == ("emergency", "+4930123456780", True)
    ddi = decide(config, teams1, CallParty("+4940111222", "+4930123456789", False))
    assert (ddi.route, ddi.calling) == ("ddi", "+49301234560789")
    # 'calling' needs a number: an anonymous Teams call skips 'ddi' and takes 'rest'.
    anon = decide(config, teams1, CallParty("+4940111222", None, True))
    assert anon.route == "rest"


def test_source_by_connection_or_group_and_target_order() -> None:
    config = config_of(
        """
        routes:
          - {name: one-proxy, from: Teams3, to: [Telekom, Teams]}
          - {name: group, from: teams, to: [Teams2, Teams, Telekom, Teams1]}
        """
    )
    assert [r.sources for r in config.routes] == [("Teams3",), ("Teams",)]  # as spelt
    one = decide(config, conn(config, "Teams3"), OUTBOUND)
    assert names(one) == ["Telekom", "Teams1", "Teams2", "Teams3"]
    group = decide(config, conn(config, "Teams1"), OUTBOUND)
    assert names(group) == ["Teams2", "Teams1", "Teams3", "Telekom"]  # each once


def test_groups_expand_by_priority() -> None:
    two_trunks = BASE + (
        "  - {name: Backup, profile: generic, host: 192.0.2.30, group: Trunks, priority: 2}\n"
        "  - {name: Main, profile: generic, host: 192.0.2.31, group: Trunks, priority: 1}\n"
    )
    config = config_of("routes:\n  - {from: Teams, to: Trunks}\n", base=two_trunks)
    decision = decide(config, conn(config, "Teams1"), OUTBOUND)
    assert (decision.route, names(decision)) == ("routes[0]", ["Main", "Backup"])


def test_default_routes_take_the_first_carrier_with_its_group() -> None:
    extra = (
        "  - {name: Other, profile: generic, host: 192.0.2.40}\n"
        "  - name: Telekom2\n    profile: telekom-deutschlandlan\n"
        "    line_number: '+4989123456'\n    auth_user: '1'\n    password: p\n"
    )
    config = config_of(base=BASE + extra)
    assert [(r.sources, r.to) for r in config.routes] == [
        (("Telekom",), ("Teams",)),
        (("Telekom2",), ("Teams",)),
        (("Teams",), ("Telekom",)),
    ]
    inbound = decide(config, conn(config, "Telekom2"), INBOUND)
    assert names(inbound) == ["Teams1", "Teams2", "Teams3"]


def test_rewrite_that_makes_garbage_is_a_500() -> None:
    config = config_of(
        r"""
        routes:
          - {called: '^\+49(\d+)$', rewrite_called: '\1+', to: Pbx}
        """
    )
    with pytest.raises(RouteError) as info:
        decide(config, conn(config, "Telekom"), INBOUND)
    assert info.value.status == 500
    assert "route routes[0] rewrote the called number +4930123456789 to" in info.value.reason
