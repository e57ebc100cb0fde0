"""Make the running services take a changed sbc.yaml: what each change needs, and doing it.

The SBC reloads its file on SIGHUP (`systemctl reload`), but rtpengine reads the file
rendered from it (addresses, RTP ports: sbc.config.rtpengine) only when it starts. So a change
whose setting says `restart-media` restarts opensbc-media too, else rtpengine keeps
announcing the old address. `sbc config apply` without a list of changes compares the
file rendered now with the one rtpengine runs with.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from .model import Config
from .rtpengine import render_for
from .table import Effect

SBC_UNIT = "opensbc.service"
MEDIA_UNIT = "opensbc-media.service"
RUNNING_MEDIA_CONF = Path("/run/opensbc-media/rtpengine.conf")  # opensbc-media.service
RELOAD_SBC = "reload opensbc"
RESTART_SBC = "restart opensbc"
RESTART_MEDIA = "restart opensbc-media"
# Action -> systemctl arguments. reload-or-restart also starts an SBC that is not running
# yet (a first valid file); rtpengine starts before the SBC reads the new file.
COMMANDS: dict[str, tuple[str, ...]] = {
    RESTART_MEDIA: ("restart", MEDIA_UNIT),
    RESTART_SBC: ("restart", SBC_UNIT),
    RELOAD_SBC: ("reload-or-restart", SBC_UNIT),
}
_NEEDS: dict[Effect, tuple[str, ...]] = {
    "reload": (RELOAD_SBC,),
    "restart-media": (RESTART_MEDIA, RELOAD_SBC),
    "restart": (RESTART_SBC,),
}


def actions_for(effects: Iterable[Effect]) -> list[str]:
    """The actions a set of effects needs, in the order they run (a restart of the SBC
    makes its reload needless)."""
    wanted = {action for effect in effects for action in _NEEDS[effect]}
    if RESTART_SBC in wanted:
        wanted.discard(RELOAD_SBC)
    return [action for action in COMMANDS if action in wanted]


def pending_actions(config: Config, running: Path = RUNNING_MEDIA_CONF) -> list[str]:
    """What a file needs when nobody recorded the changes: a reload always, and a restart
    of rtpengine when its rendered file differs from the running one (or none runs)."""
    try:
        same = running.read_text("utf-8") == render_for(config)
    except (OSError, UnicodeError, ValueError):
        same = False
    return actions_for(["reload"] if same else ["restart-media"])


def systemctl_command(option: str | None = None) -> list[str]:
    """The systemctl to call: `--systemctl`, else $OPENSBC_SYSTEMCTL, else systemctl."""
    return shlex.split(option or os.environ.get("OPENSBC_SYSTEMCTL") or "systemctl")


def run_actions(actions: Sequence[str], systemctl: Sequence[str]) -> tuple[list[str], list[str]]:
    """Run each action; returns (done, failures). A failure stops the rest: the SBC is
    not reloaded onto an rtpengine that did not come back."""
    done: list[str] = []
    for action in actions:
        argv = [*systemctl, *COMMANDS[action]]
        problem = _run(argv)
        if problem:
            return done, [f"{action}: `{shlex.join(argv)}` failed: {problem}"]
        done.append(action)
    return done, []


def _run(argv: Sequence[str]) -> str | None:
    """The one place a command runs; None when it succeeded, else why not."""
    try:
        proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=120,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if proc.returncode != 0:
        return (proc.stderr or proc.stdout).strip() or f"exit status {proc.returncode}"
    return None
