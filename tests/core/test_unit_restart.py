"""opensbc.service's restart settings, checked where no systemd runs the unit (the QEMU
boot test runs it): back quickly after any death, and SIGHUP harmless from exec on."""

from __future__ import annotations

import configparser
import subprocess
from pathlib import Path

UNIT = Path(__file__).resolve().parents[2] / (
    "appliance/rootfs/overlay/usr/lib/systemd/system/opensbc.service")


def service() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser["Service"]


def seconds(value: str) -> float:
    if value.endswith("ms"):
        return float(value[:-2]) / 1000
    return float(value.removesuffix("s"))


def test_restarts_after_any_death_within_a_second() -> None:
    unit = service()
    # on-failure does not restart after death by SIGHUP/SIGTERM (clean to systemd).
    assert unit["Restart"] == "always"
    assert seconds(unit["RestartSec"]) <= 0.2


def test_sighup_is_ignored_until_sbc_run_handles_it() -> None:
    words = service()["ExecStart"].split()
    assert words[:2] == ["/usr/bin/env", "--ignore-signal=HUP"]
    assert words[2:4] == ["/usr/local/bin/sbc", "run"]
    assert service()["ExecReload"] == "/bin/kill -HUP $MAINPID"
    # The option exists in this coreutils (8.31 on; Debian 12 has 9.1).
    probe = subprocess.run(["env", "--ignore-signal=HUP", "sh", "-c", "kill -HUP $$; echo up"],
                           capture_output=True, text=True, timeout=10)
    assert probe.stdout == "up\n"


def test_a_crash_loop_gives_up() -> None:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    assert int(parser["Unit"]["StartLimitBurst"]) >= 5
    assert seconds(parser["Unit"]["StartLimitIntervalSec"]) >= 10
