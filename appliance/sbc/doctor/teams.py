"""`sbc teams-setup`: the Teams PowerShell that pairs this box with the tenant.

The values that must match the SBC exactly (FQDN, TLS port, call limit) come from the
config, so nothing is typed twice. Cmdlets and parameters follow Microsoft's MicrosoftTeams
module reference (New-CsOnlinePSTNGateway, Set-CsOnlinePstnUsage, New-CsOnlineVoiceRoute,
New-CsOnlineVoiceRoutingPolicy, Set-CsPhoneNumberAssignment,
Grant-CsOnlineVoiceRoutingPolicy). What only the admin knows (users, numbers) stays a
`<placeholder>`, which PowerShell refuses to run until it is replaced.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config

NAME = "OpenSBC"  # PSTN usage, voice route and voice routing policy


@dataclass(frozen=True)
class TeamsSide:
    fqdn: str
    port: int | None  # the TLS listener; None when the config has none
    max_calls: int


def teams_side(config: Config) -> TeamsSide:
    listener = config.sbc.listener("tls")
    return TeamsSide(config.sbc.fqdn, listener.port if listener else None,
                     config.calls.max_calls)


def powershell(side: TeamsSide) -> str:
    """The commands, each after a one-line comment saying why."""
    port = str(side.port) if side.port is not None else "<tls port>"
    lines = [
        f"# {NAME}: Teams Direct Routing for {side.fqdn}.",
        "# In PowerShell with the MicrosoftTeams module, after Connect-MicrosoftTeams.",
        "# Replace every <placeholder> first.",
        "",
        "# The SBC as a PSTN gateway: its FQDN, its TLS port and calls.max_calls.",
        "# Media bypass stays off: OpenSBC does not support it yet, media always passes the SBC.",
        f"New-CsOnlinePSTNGateway -Fqdn {side.fqdn} -SipSignalingPort {port} "
        f"-MaxConcurrentSessions {side.max_calls} -ForwardCallHistory $true -ForwardPai $true "
        "-MediaBypass $false -Enabled $true",
        "",
        "# A PSTN usage links the voice route to the voice routing policy.",
        f'Set-CsOnlinePstnUsage -Identity Global -Usage @{{Add="{NAME}"}}',
        "",
        "# Every number (\".*\") goes out through this SBC.",
        f'New-CsOnlineVoiceRoute -Identity "{NAME}" -NumberPattern ".*" '
        f'-OnlinePstnGatewayList {side.fqdn} -Priority 1 -OnlinePstnUsages "{NAME}"',
        "",
        "# The policy users get; it allows the usage above.",
        f'New-CsOnlineVoiceRoutingPolicy "{NAME}" -OnlinePstnUsages "{NAME}"',
        "",
        "# Per user: a Direct Routing number (newer module versions call the parameters",
        "# -TelephoneNumber and -NumberType), then the policy.",
        "Set-CsPhoneNumberAssignment -Identity <user@domain> -PhoneNumber <+49...> "
        "-PhoneNumberType DirectRouting",
        f'Grant-CsOnlineVoiceRoutingPolicy -Identity <user@domain> -PolicyName "{NAME}"',
    ]
    return "\n".join(lines) + "\n"


def problems(config: Config) -> list[str]:
    """What makes the printed commands wrong for this box, for stderr."""
    out = []
    unconfigured = dict(getattr(config, "unconfigured", ()))
    if "sbc.fqdn" in unconfigured:
        out.append(f"sbc.fqdn is not configured yet ({config.sbc.fqdn}): set it with "
                   "`sbc config set sbc.fqdn=NAME` first")
    if config.sbc.listener("tls") is None:
        out.append("there is no TLS listener: add {transport: tls, port: 5061} under "
                   "sbc.listen first")
    return out
