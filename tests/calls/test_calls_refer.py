"""AT-11: a transfer by Teams. The carrier's caller A talks to Teams; Teams sends REFER to
a PSTN number; the SBC accepts it (202), reports progress by NOTIFY (sipfrag), calls the
target C at the carrier itself (routing from Teams), and when Teams hangs up its leg, A
stays connected to C until A's BYE reaches C.
"""

from __future__ import annotations

import pytest
from peers.sbcproc import FQDN

from .checks import addr_uri, assert_plain_rtp, parse_uri, tag
from .lab import PSTN_CALLER, TRANSFER_TARGET, CallLab

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


# What Teams sends to transfer to another Teams user (scenarios/teams_refer_user.xml): no
# user part, only the user's MRI and tenant. The Teams-user test in tests/b2bua used a
# Refer-To with an E.164 user part as well, so it never built a To from an empty user.
TEAMS_USER_TARGET = ("sip:sip.pstnhub.microsoft.com;user=phone"
                     ";x-m=8:orgid:7ee2d9d4-6b1b-4a1d-9e5a-5f8a4bcb6d0a"
                     ";x-t=af9b4f6a-1234-4e2b-9a57-3c1d2e3f4a5b")


def test_refer_to_a_teams_user_as_teams_sends_it(lab: CallLab) -> None:
    """Issue 11 item 1: Request-URI and To are the Refer-To URI as given (no `sip:@`),
    Referred-By is passed on, the PSTN caller is the caller; Teams1's 200 (echoing that
    To) is ACKed, nothing fails over to Teams2/3, and the last NOTIFY says 200."""
    registrar = lab.registrar()
    lab.start()
    lab.wait_registered()
    teams = lab.teams_uas(1, "teams_refer_user.xml", calls=2, timeout=15)
    caller = lab.carrier_uac("carrier_call.xml", hold_ms=2500)  # A hangs up after 2.5 s
    lab.check(caller, teams, registrar)

    refer = teams.sent("REFER")[0]
    first, new = teams.received("INVITE")
    assert new.uri == TEAMS_USER_TARGET, new
    assert new.header("To") == f"<{TEAMS_USER_TARGET}>", new
    assert "sip:@" not in new.raw, new
    assert new.header("Referred-By") == refer.header("Referred-By"), new
    sender = addr_uri(new.header("From") or "")
    assert (sender.user, sender.host) == (PSTN_CALLER, FQDN), new  # the transferred party
    assert addr_uri(new.header("Contact") or "").user is None, new

    ok = [m for m in teams.sent(200, "INVITE") if m.header("Call-ID") == new.header("Call-ID")]
    assert len(ok) == 1 and (ok[0].header("To") or "").startswith(f"<{TEAMS_USER_TARGET}>;tag=")
    acks = [m for m in teams.received("ACK") if m.header("Call-ID") == new.header("Call-ID")]
    assert len(acks) == 1, lab.context(teams)
    for n in (2, 3):
        relay = lab.teams[n].relay
        assert relay is not None and not relay.handshakes, f"the SBC failed over to Teams{n}"

    notifies = teams.received("NOTIFY")
    assert notifies[-1].body.startswith("SIP/2.0 200 OK"), notifies[-1]
    assert first.header("Call-ID") != new.header("Call-ID")
    # A's BYE ends the new leg; A never saw a thing
    byes = [m for m in teams.received("BYE") if m.header("Call-ID") == new.header("Call-ID")]
    assert len(byes) == 1 and caller.one(200, "BYE")
    assert not caller.received("INVITE"), "A got a re-INVITE"
