"""AT-11: a transfer by Teams. The carrier's caller A talks to Teams; Teams sends REFER to
a PSTN number; the SBC accepts it (202), reports progress by NOTIFY (sipfrag), calls the
target C at the carrier itself (routing from Teams), and when Teams hangs up its leg, A
stays connected to C until A's BYE reaches C.
"""

from __future__ import annotations

import pytest

from .checks import assert_plain_rtp, parse_uri, tag
from .lab import TRANSFER_TARGET, CallLab

pytestmark = pytest.mark.peers


def test_refer_from_teams_connects_the_caller_to_the_target(lab: CallLab) -> None:
    target = lab.carrier_uas(ringing=0)  # REGISTER, then C's call (answered at once)
    lab.start()
    lab.wait_registered()
    teams = lab.teams_uas(1, "teams_refer.xml")
    caller = lab.carrier_uac("carrier_call.xml", hold_ms=2500)  # A hangs up after 2.5 s
    # SIPp checks the flows: A is never sent a BYE, Teams gets 202, NOTIFYs and a 200 for
    # its BYE, C is called and gets A's BYE.
    lab.check(caller, teams, target)

    refer = teams.sent("REFER")[0]
    assert teams.one(202, "REFER")
    notifies = teams.received("NOTIFY")
    assert notifies, lab.context(teams)
    invite = teams.received("INVITE")[0]
    for notify in notifies:
        assert notify.header("Call-ID") == invite.header("Call-ID"), notify
        assert tag(notify.header("To")) == tag(refer.header("From")), notify
        assert (notify.header("Event") or "").split(";")[0].strip() == "refer", notify
        assert (notify.header("Content-Type") or "").startswith("message/sipfrag"), notify
        assert notify.header("Subscription-State"), notify
    assert notifies[0].body.startswith("SIP/2.0 100 Trying"), notifies[0]
    assert notifies[-1].body.startswith("SIP/2.0 200 OK"), notifies[-1]
    assert (notifies[-1].header("Subscription-State") or "").startswith("terminated"), \
        notifies[-1]

    call_c = target.one("INVITE")
    assert parse_uri(call_c.uri).user == TRANSFER_TARGET, call_c
    assert_plain_rtp(call_c)
    assert call_c.at < teams.sent("BYE")[0].at, "C was called only after Teams hung up"
    assert target.one("BYE").at > teams.sent("BYE")[0].at
    assert caller.one(200, "BYE")
    assert not caller.received("INVITE"), "A got a re-INVITE"
