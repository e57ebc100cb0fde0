from __future__ import annotations

import os
from pathlib import Path

from installer import carry

SHADOW_OLD = "root:$6$old:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"
SHADOW_NEW = "root:$6$new:20000:0:99999:7:::\ndaemon:*:20000:0:99999:7:::\nsbc:!:20000::::::\n"


def make_root(base: Path, shadow: str, pending: bool) -> Path:
    (base / "etc/ssh").mkdir(parents=True)
    (base / "etc/NetworkManager/system-connections").mkdir(parents=True)
    (base / "etc/opensbc").mkdir(parents=True)
    (base / "etc/shadow").write_text(shadow)
    if pending:
        (base / "etc/opensbc/firstboot-pending").write_text("x\n")
    return base


def test_upgrade_carries_admin_settings(tmp_path: Path) -> None:
    old = make_root(tmp_path / "old", SHADOW_OLD, pending=False)
    (old / "etc/hostname").write_text("sbc1\n")
    conn = old / "etc/NetworkManager/system-connections/eth0.nmconnection"
    conn.write_text("[connection]\nid=eth0\n")
    os.chmod(conn, 0o600)
    (old / "etc/ssh/ssh_host_ed25519_key").write_text("KEY")
    carried = carry.collect(old)

    new = make_root(tmp_path / "new", SHADOW_NEW, pending=True)
    (new / "etc/hostname").write_text("opensbc\n")
    assert carry.restore(carried, new) == 3
    assert (new / "etc/hostname").read_text() == "sbc1\n"
    restored = new / "etc/NetworkManager/system-connections/eth0.nmconnection"
    assert restored.stat().st_mode & 0o777 == 0o600
    assert (new / "etc/ssh/ssh_host_ed25519_key").read_text() == "KEY"
    # Only root's hash changes; the new image's system users stay.
    assert (new / "etc/shadow").read_text() == (
        "root:$6$old:20000:0:99999:7:::\ndaemon:*:20000:0:99999:7:::\nsbc:!:20000::::::\n"
    )
    # The wizard had run on the old system: it does not start again.
    assert carry.firstboot_pending(carried) is False


def test_first_boot_pending_rules(tmp_path: Path) -> None:
    # A fresh install always starts the wizard.
    assert carry.firstboot_pending(None) is True
    # An upgrade of a system whose wizard never finished starts it again.
    old = make_root(tmp_path / "old", SHADOW_OLD, pending=True)
    assert carry.firstboot_pending(carry.collect(old)) is True
