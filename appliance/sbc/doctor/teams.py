"""`sbc teams-setup`: the Teams PowerShell that pairs this box with the tenant.

The values that must match the SBC exactly (FQDN, TLS port, call limit, media bypass)
come from the config, so nothing is typed twice. Cmdlets and parameters follow
Microsoft's MicrosoftTeams module reference (New-CsOnlinePSTNGateway,
Set-CsOnlinePSTNGateway, Set-CsOnlinePstnUsage, New-CsOnlineVoiceRoute,
New-CsOnlineVoiceRoutingPolicy, Set-CsPhoneNumberAssignment,
Grant-CsOnlineVoiceRoutingPolicy). What only the admin knows (users, numbers) stays a
`<placeholder>`, which PowerShell refuses to run until it is replaced.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config
from .bypass import media_bypass, not_public

NAME = "OpenSBC"  # PSTN usage, voice route and voice routing policy


@dataclass(frozen=True)
class TeamsSide:
    fqdn: str
    port: int | None  # the TLS listener; None when the config has none
    max_calls: int
    media_bypass: bool = False  # the Teams connections' media_bypass
    public_ip: str = ""  # where Teams clients send media with media bypass
    media_ports: tuple[int, int] = (30000, 39999)  # media.port_min, media.port_max


def teams_side(config: Config) -> TeamsSide:
    listener = config.sbc.listener("tls")
    return TeamsSide(config.sbc.fqdn, listener.port if listener else None,
                     config.calls.max_calls, media_bypass(config), str(config.sbc.public_ip),
                     (config.media.port_min, config.media.port_max))


def _bypass_comment(side: TeamsSide) -> list[str]:
    if not side.media_bypass:
        return ["# Media bypass is off (media_bypass of the Teams connections): media passes",
                "# Microsoft's media processors."]
    low, high = side.media_ports
    return [
        "# Media bypass is on (media_bypass of the Teams connections): Teams clients send media",
        f"# straight to {side.public_ip}, which must be reachable on UDP {low}-{high} from the "
        "internet;",
        "# web clients and voice apps still use Microsoft's media processors.",
        "# For a gateway that exists already, or to change it later (then also media_bypass):",
        f"# Set-CsOnlinePSTNGateway -Identity {side.fqdn} -MediaBypass $true",
    ]


def powershell(side: TeamsSide) -> str:
    """The commands, each after a one-line comment saying why."""
    port = str(side.port) if side.port is not None else "<tls port>"
    bypass = "$true" if side.media_bypass else "$false"
    lines = [
        f"# {NAME}: Teams Direct Routing for {side.fqdn}.",
        "# In PowerShell with the MicrosoftTeams module, after Connect-MicrosoftTeams.",
        "# Replace every <placeholder> first.",
        "",
        "# The SBC as a PSTN gateway: its FQDN, its TLS port and calls.max_calls.",
        *_bypass_comment(side),
        f"New-CsOnlinePSTNGateway -Fqdn {side.fqdn} -SipSignalingPort {port} "
        f"-MaxConcurrentSessions {side.max_calls} -ForwardCallHistory $true -ForwardPai $true "
        f"-MediaBypass {bypass} -Enabled $true",
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
    why = not_public(config.sbc.public_ip)
    if media_bypass(config) and why is not None:
        out.append(f"media bypass is on, but sbc.public_ip {config.sbc.public_ip} is {why}: "
                   "Teams clients could not reach it; set the public address with "
                   "`sbc config set sbc.public_ip=ADDRESS` first (`sbc doctor` checks it)")
    return out
