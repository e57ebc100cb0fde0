"""A pretend appliance for the wizard: a network namespace whose veth `eth0` stands in
for the NIC, a second namespace holding the gateway, a temporary root with etc/, and
fakes for nmcli/hostnamectl/systemctl on PATH.

The "DHCP lease" is 10.99.0.15/24 via 10.99.0.1 (the gateway namespace answers pings);
10.99.0.254 is a gateway nobody answers for.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pexpect
from passlib.hash import sha512_crypt

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FAKES = HERE / "fakes"
LEASE = "10.99.0.15/24"
GATEWAY = "10.99.0.1"
DEAD_GATEWAY = "10.99.0.254"
PREVIOUS_UUID = "0b6e7a44-1111-4d2b-9c3f-5a1e00000001"
NEW_PASSWORD = "Sbc-first-1"
_counter = itertools.count()


def ip(*args: str) -> str:
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True).stdout


def can_run() -> str | None:
    """Why these tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "ping"):
        if shutil.which(tool) is None:
            return f"needs {tool} (iproute2, iputils-ping)"
    return None


@dataclass
class Appliance:
    root: Path
    state: Path
    nic_ns: str
    lan_ns: str
    env: dict[str, str]

    # --- what the wizard left behind ---------------------------------------------
    def calls(self) -> list[list[str]]:
        log = self.state / "calls.log"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    def nm_actions(self) -> list[list[str]]:
        """nmcli calls that change something (load, up, delete, connect)."""
        actions = []
        for call in self.calls():
            args = call[2:] if call[:1] == ["--wait"] else call
            if args[:2] in (["connection", "load"], ["connection", "up"],
                            ["connection", "delete"], ["device", "connect"]):
                actions.append(args)
        return actions

    def recorded(self, name: str) -> list[str]:
        log = self.state / f"{name}.log"
        return log.read_text().splitlines() if log.exists() else []

    def addresses(self) -> list[str]:
        out = json.loads(ip("-n", self.nic_ns, "-j", "-4", "addr", "show", "dev", "eth0"))
        return [f"{a['local']}/{a['prefixlen']}" for link in out for a in link["addr_info"]]

    def default_route(self) -> str | None:
        out = json.loads(ip("-n", self.nic_ns, "-j", "-4", "route", "show", "default"))
        return out[0].get("gateway") if out else None

    @property
    def keyfile(self) -> Path:
        return self.root / "etc/NetworkManager/system-connections/eth0.nmconnection"

    # --- running the wizard --------------------------------------------------------
    def spawn(self, *args: str, rollback_timeout: float = 3) -> pexpect.spawn:
        argv = ["netns", "exec", self.nic_ns, sys.executable, "-m", "firstboot",
                "--root", str(self.root), "--rollback-timeout", str(rollback_timeout),
                "--ping-wait", "1", *args]
        return pexpect.spawn("ip", argv, cwd=str(REPO), env=self.env, encoding="utf-8",
                             timeout=30, dimensions=(25, 80))


def _netifaces_dir(base: Path) -> str:
    """Debian's python3-netifaces for the venv's interpreter (the image has it); without
    it the wizard falls back to `ip -j addr`."""
    found = sorted(Path("/usr/lib/python3/dist-packages").glob("netifaces*.so"))
    target = base / "pylib"
    target.mkdir()
    for so in found:
        (target / so.name).symlink_to(so)
    return str(target)


def _make_root(root: Path) -> None:
    etc = root / "etc"
    for sub in ("opensbc", "cockpit/ws-certs.d", "NetworkManager/system-connections"):
        (etc / sub).mkdir(parents=True)
    shadow = etc / "shadow"
    shadow.write_text(
        f"root:{sha512_crypt.using(rounds=5000).hash('omc')}:19700:0:99999:7:::\n"
        "daemon:*:19700:0:99999:7:::\n"
        "sshd:!:19700::::::\n"
    )
    shadow.chmod(0o640)
    (etc / "cockpit/disallowed-users").write_text(
        "# List of users which are not allowed to login to Cockpit\nroot\n")
    (etc / "opensbc/firstboot-pending").write_text("2025-01-01T00:00:00Z\n")
    (etc / "hosts").write_text(
        "127.0.0.1\tlocalhost\n127.0.1.1\topensbc\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n")
    (etc / "hostname").write_text("opensbc\n")
    (etc / "resolv.conf").write_text(f"# from DHCP\nnameserver {GATEWAY}\n")


def _write_state(state: Path) -> None:
    state.mkdir()
    doc = {
        "devices": ["eth0"],
        "lease": {"address": LEASE, "gateway": GATEWAY},
        "connections": {PREVIOUS_UUID: {"name": "Wired connection 1", "device": "eth0",
                                        "method": "auto", "file": None}},
        "active": {"eth0": PREVIOUS_UUID},
    }
    (state / "state.json").write_text(json.dumps(doc, indent=1))


def create(base: Path) -> Appliance:
    tag = f"fb{os.getpid() % 100000}x{next(_counter)}"
    nic_ns, lan_ns = f"{tag}nic", f"{tag}lan"
    ip("netns", "add", nic_ns)
    ip("netns", "add", lan_ns)
    app = Appliance(base / "root", base / "state", nic_ns, lan_ns, {})
    try:
        ip("link", "add", f"{tag}a", "type", "veth", "peer", "name", f"{tag}b")
        ip("link", "set", f"{tag}a", "netns", nic_ns)
        ip("link", "set", f"{tag}b", "netns", lan_ns)
        ip("-n", nic_ns, "link", "set", f"{tag}a", "name", "eth0")
        ip("-n", lan_ns, "link", "set", f"{tag}b", "name", "lan0")
        for ns, dev in ((nic_ns, "eth0"), (lan_ns, "lan0")):
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "link", "set", dev, "up")
        ip("-n", lan_ns, "addr", "add", f"{GATEWAY}/24", "dev", "lan0")
        # What DHCP gave before the wizard ran (the fake nmcli's "Wired connection 1").
        ip("-n", nic_ns, "addr", "add", LEASE, "dev", "eth0")
        ip("-n", nic_ns, "route", "add", "default", "via", GATEWAY)
        _make_root(app.root)
        _write_state(app.state)
        app.env = {
            "PATH": f"{FAKES}:{Path(sys.executable).parent}:/usr/sbin:/usr/bin:/sbin:/bin",
            "FAKE_NM_STATE": str(app.state),
            "FAKE_ROOT": str(app.root),
            "PYTHONPATH": f"{REPO}:{_netifaces_dir(base)}",
            "LANG": "C.UTF-8",
            "TERM": "dumb",
            "HOME": str(base),
        }
    except BaseException:
        destroy(app)
        raise
    return app


def destroy(app: Appliance) -> None:
    for ns in (app.nic_ns, app.lan_ns):
        subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)
