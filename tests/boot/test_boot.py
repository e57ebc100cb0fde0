"""Boot tests: the ISO installs itself, powers off, and the disk boots to a login.

Hyper-V stand-ins under QEMU/TCG (see qemu.py). Slow: marked `boot`; CI runs them.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from .qemu import VM, make_disk

pytestmark = pytest.mark.boot


def install(vm: VM, iso: Path, record, label: str) -> None:
    session = vm.start(iso, f"{label}-install")
    session.expect(r"Target disk: ", timeout=900)
    start = session.elapsed()
    session.expect(r"OpenSBC is installed on", timeout=900)
    record(f"{label}.install_s", session.elapsed() - start)
    record(f"{label}.iso_boot_to_installer_s", start)
    assert session.wait_exit(timeout=300) == 0, "QEMU did not exit cleanly after poweroff"


MEDIA_CONFIG = """sbc:
  fqdn: sbc.boot.test
  public_ip: 10.0.2.15
connections: []
media:
  port_min: 30000
  port_max: 30999
"""

PING = ("python3 -c 'import asyncio; from sbc.media import MediaRelay; "
        "print(\"ng ping:\", asyncio.run(MediaRelay().ping()))'")


def check_media_relay(session) -> None:
    """With a config in /data, the image's rtpengine runs as opensbc-media.service with a
    file rendered from it, and answers the SBC's ng ping on loopback."""
    lines = " ".join(f"'{line}'" for line in MEDIA_CONFIG.splitlines())
    session.run(f"printf '%s\\n' {lines} > /data/sbc.yaml")
    session.run("systemctl start opensbc-media.service")
    state = session.run("systemctl is-active opensbc-media.service")
    journal = session.run("journalctl -b -u opensbc-media.service --no-pager | tail -n 15")
    assert state == "active", journal
    assert "port-min = 30000" in session.run("cat /run/opensbc-media/rtpengine.conf")
    assert "ng ping: True" in session.run(PING), journal
    assert session.run("systemctl is-enabled rtpengine-daemon.service") == "masked"
    session.run("systemctl stop opensbc-media.service; rm /data/sbc.yaml; sync")


# What must differ between two appliances installed from one ISO (issue 15), read at
# each VM's first boot from its disk. The web console certificate is Cockpit's own
# self-signed one, made the first time Cockpit starts (cockpit-certificate-ensure).
IDENTITY = {
    "machine ID": "cat /etc/machine-id",
    # `systemctl start` waits for the key unit if the boot is still running it.
    "SSH host key": ("systemctl start opensbc-ssh-hostkeys.service; "
                     "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f2"),
    "web console certificate": (
        "/usr/lib/cockpit/cockpit-certificate-ensure >/dev/null 2>&1; "
        "openssl x509 -noout -fingerprint -sha256 -in "
        "\"$(ls /etc/cockpit/ws-certs.d/*.cert | tail -n 1)\" | cut -d= -f2"),
}
IDENTITIES: dict[str, dict[str, str]] = {}


def read_identity(session, label: str) -> None:
    IDENTITIES[label] = {name: session.run(cmd) for name, cmd in IDENTITY.items()}


def check_installed_system(vm: VM, label: str, record, iso: Path | None = None,
                           media: bool = False, identity: bool = False) -> None:
    """Boots the installed disk (with the ISO still attached when `iso` is given) to a
    login, and checks it is the installed system, with /data and the SBC unit."""
    session = vm.start(iso, f"{label}-boot{'-with-iso' if iso else ''}")
    try:
        if iso is not None:
            session.expect("Boot the installed OpenSBC", timeout=600)
        record(f"{label}.boot_to_login_s{'_with_iso' if iso else ''}", session.login())
        # Root is the disk's ext4, not the live system's overlay.
        assert session.run("findmnt -n -o FSTYPE /") == "ext4"
        assert session.run("findmnt -n -o FSTYPE /data") == "ext4"
        assert session.run("systemctl show -p LoadState --value opensbc.service") == "loaded"
        assert session.run("test -e /etc/opensbc/installed && echo yes") == "yes"
        if vm.gen == "gen2":
            assert "SecureBoot enabled" in session.run("mokutil --sb-state")
        if media:
            check_media_relay(session)
        if identity:
            read_identity(session, label)
    finally:
        session.child.sendline("poweroff")
    assert session.wait_exit(timeout=300) == 0


@pytest.fixture(scope="module")
def gen1(iso: Path, workdir: Path, record) -> VM:
    vm = VM("gen1", workdir, make_disk(workdir / "gen1.qcow2", "8G"))
    install(vm, iso, record, "gen1")
    return vm


def test_gen1_installs_and_boots_from_disk(gen1: VM, record) -> None:
    check_installed_system(gen1, "gen1", record, media=True, identity=True)


def test_gen1_iso_left_attached_boots_the_installed_system(gen1: VM, iso: Path, record) -> None:
    check_installed_system(gen1, "gen1", record, iso=iso)


def test_gen1_upgrade_keeps_data(gen1: VM, iso: Path, record) -> None:
    session = gen1.start(None, "gen1-before-upgrade")
    session.login()
    session.run("echo kept > /data/marker && echo old > /root/old-system && sync")
    session.child.sendline("poweroff")
    assert session.wait_exit(timeout=300) == 0

    session = gen1.start(iso, "gen1-upgrade")
    session.expect("Upgrade the installed OpenSBC", timeout=600)
    session.child.send("u")
    session.expect(r"Keeping /data", timeout=900)
    start = session.elapsed()
    session.expect(r"is upgraded; /data was kept", timeout=900)
    record("gen1.upgrade_s", session.elapsed() - start)
    assert session.wait_exit(timeout=300) == 0

    session = gen1.start(None, "gen1-after-upgrade")
    try:
        session.login()
        assert session.run("cat /data/marker") == "kept"
        assert session.run("test -e /root/old-system && echo old || echo replaced") == "replaced"
    finally:
        session.child.sendline("poweroff")
    assert session.wait_exit(timeout=300) == 0


@pytest.fixture(scope="module")
def gen2(iso: Path, workdir: Path, record) -> VM:
    vm = VM("gen2", workdir, make_disk(workdir / "gen2.qcow2", "8G"))
    install(vm, iso, record, "gen2")
    return vm


def test_gen2_secure_boot_installs_and_boots(gen2: VM, record) -> None:
    check_installed_system(gen2, "gen2", record, identity=True)


def test_gen2_iso_left_attached_boots_the_installed_system(gen2: VM, iso: Path, record) -> None:
    """Under Secure Boot the ISO's signed GRUB hands over to the disk's grub.cfg."""
    check_installed_system(gen2, "gen2", record, iso=iso)


def test_two_vms_from_one_iso_have_their_own_identity() -> None:
    """Nothing unique is baked into the ISO: machine ID, SSH host keys and the web
    console certificate are made at each appliance's first boot."""
    missing = {"gen1", "gen2"} - IDENTITIES.keys()
    assert not missing, f"the first boot of {sorted(missing)} did not get this far (see above)"
    one, two = IDENTITIES["gen1"], IDENTITIES["gen2"]
    for name in IDENTITY:
        assert one[name] and "No such file" not in one[name], f"gen1 has no {name}: {one[name]}"
        assert two[name] and "No such file" not in two[name], f"gen2 has no {name}: {two[name]}"
        assert one[name] != two[name], f"gen1 and gen2 share their {name}: {one[name]}"
    assert len(one["machine ID"]) == 32 and one["machine ID"] != "uninitialized"


def test_too_small_disk_is_refused_and_untouched(iso: Path, workdir: Path) -> None:
    disk = workdir / "small.raw"
    disk.unlink(missing_ok=True)
    make_disk(disk, "2G", fmt="raw")
    vm = VM("gen1", workdir, disk, disk_format="raw")
    session = vm.start(iso, "small-disk")
    try:
        session.expect(r"INSTALL FAILED", timeout=900)
        session.expect(r"too small: it has 2\.0 GiB, OpenSBC needs at least 8\.0 GiB", timeout=30)
        session.expect(r"stays on", timeout=30)
        # Still running: the message stays on screen.
        assert session.child.isalive()
    finally:
        session.kill()
    assert only_zeros(disk), "the installer wrote to a disk it refused"


def only_zeros(path: Path) -> bool:
    """True when every allocated extent of a sparse file holds zeros (qemu-img itself
    allocates the first block of a new raw image, so counting blocks is not enough)."""
    with path.open("rb") as f:
        fd, size, pos = f.fileno(), os.fstat(f.fileno()).st_size, 0
        while pos < size:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:
                return True  # no data after pos
            end = os.lseek(fd, start, os.SEEK_HOLE)
            f.seek(start)
            remaining = end - start
            while remaining:
                chunk = f.read(min(remaining, 1 << 20))
                if chunk.strip(b"\0"):
                    return False
                remaining -= len(chunk)
            pos = end
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ssh_accepts(port: int, password: str) -> bool:
    """One SSH login attempt as root with a password (sshpass); True when it got in."""
    cmd = ["sshpass", "-p", password, "ssh", "-p", str(port), "-o", "StrictHostKeyChecking=no",
           "-o", "UserKnownHostsFile=/dev/null", "-o", "PreferredAuthentications=password",
           "-o", "PubkeyAuthentication=no", "-o", "ConnectTimeout=20", "root@127.0.0.1", "true"]
    return subprocess.run(cmd, capture_output=True, timeout=90, check=False).returncode == 0


def wait_for_port(port: int, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.settimeout(10)
                if s.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        time.sleep(3)
    raise AssertionError(f"nothing answered SSH on forwarded port {port} in {seconds:.0f} s")


def cockpit_login(port: int, user: str, password: str, context: ssl.SSLContext) -> str:
    """Log in as Cockpit's login page does (Basic credentials to /cockpit/login); the
    session cookie."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(f"https://127.0.0.1:{port}/cockpit/login",
                                     headers={"Authorization": f"Basic {token}"})
    with urllib.request.urlopen(request, context=context, timeout=60) as reply:
        return str(reply.headers["Set-Cookie"]).split(";")[0]


def cockpit_get(port: int, cookie: str, path: str, context: ssl.SSLContext) -> str:
    request = urllib.request.Request(f"https://127.0.0.1:{port}{path}",
                                     headers={"Cookie": cookie})
    with urllib.request.urlopen(request, context=context, timeout=60) as reply:
        return str(reply.read().decode(errors="replace"))


def check_sbc_after_wizard(session) -> None:
    """Issue 9: the SBC runs right after the wizard, from the configuration it seeded;
    Teams waits for the certificate, which `sbc doctor` names as the next step."""
    config = session.run("grep -E '^  (fqdn|public_ip):' /data/sbc.yaml")
    assert "fqdn: sbc1.example.test" in config and "public_ip: 10.0.2.50" in config, config
    states = session.run("systemctl is-active opensbc.service opensbc-media.service")
    journal = session.run("journalctl -b -u opensbc -u opensbc-media --no-pager | tail -n 20")
    assert states.split() == ["active", "active"], f"{states}\n{journal}"
    status = ""
    for _ in range(30):
        status = session.run("sbc status 2>&1")
        if "waiting for a certificate" in status:
            break
        time.sleep(1)
    assert "Teams1, Teams2, Teams3: waiting for a certificate" in status, status
    doctor = session.run("sbc doctor 2>&1; echo exit=$?")
    next_step = [line for line in doctor.splitlines() if line.startswith("Next step:")]
    assert next_step and "certificate" in next_step[0].lower(), doctor


def test_gen1_first_boot_wizard_static_ip_and_web_console(gen1: VM) -> None:
    """Issue 5 on the installed appliance: the wizard at the first console login."""
    ssh, ssh_new, web = free_port(), free_port(), free_port()
    # Forwards are fixed when QEMU starts: one to the DHCP address, two to the new one.
    gen1.forwards = {ssh: ("10.0.2.15", 22), ssh_new: ("10.0.2.50", 22),
                     web: ("10.0.2.50", 9090)}
    session = gen1.start(None, "gen1-firstboot")
    try:
        session.expect("login: ", timeout=600)
        # Before the wizard: the default password works on the console only.
        wait_for_port(ssh)
        assert not ssh_accepts(ssh, "omc"), "SSH accepted root's default password"

        session.child.sendline("")  # getty prints its prompt again for login()
        session.login(wizard=True)
        answers = [
            ("New root password: ", "Sbc-test-2026!"),
            ("Repeat the new password: ", "Sbc-test-2026!"),
            (r"Use DHCP on \w+\? \(n: fixed address\) \[Y/n\]: ", "n"),
            (r"IPv4 address/prefix \(e\.g\. 192\.0\.2\.10/24\) \[[^\]]*\]: ", "10.0.2.50/24"),
            (r"Gateway \[[^\]]*\]: ", "10.0.2.2"),
            (r"DNS servers, up to 3 separated by spaces \[[^\]]*\]: ", "10.0.2.3"),
            (r"Fully qualified host name \(e\.g\. sbc1\.example\.com\): ", "sbc1.example.test"),
            (r"Apply these settings\? \[Y/n\]: ", "y"),
        ]
        for prompt, answer in answers:
            session.expect(prompt, timeout=120)
            session.child.sendline(answer)
        # QEMU's user network may not answer ping: keep the new settings if asked.
        seen = session.child.expect([r"Go back to the previous network settings\?",
                                     r"Web console: https://10\.0\.2\.50:9090"], timeout=180)
        if seen == 0:
            session.child.sendline("n")
            session.expect(r"Web console: https://10\.0\.2\.50:9090", timeout=120)
        session.expect(r"[#$] ", timeout=120)
        session.shell()
        assert "inet 10.0.2.50/24" in session.run("ip -4 addr show")
        assert session.run("hostname -f") == "sbc1.example.test"
        assert session.run("test -e /etc/opensbc/firstboot-pending || echo done") == "done"
        check_sbc_after_wizard(session)

        # The web console answers over TLS on the new address, through the port forward.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"https://127.0.0.1:{web}/", context=context,
                                            timeout=30) as reply:
                    page = reply.read().decode(errors="replace")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(3)
        assert "login" in page.lower()
        # Root logs in with the new password and Cockpit lists the SBC page beside its
        # own (the package in the image, its manifest valid), and serves it.
        cookie = cockpit_login(web, "root", "Sbc-test-2026!", context)
        manifests = json.loads(cockpit_get(web, cookie, "/cockpit/@localhost/manifests.json",
                                           context))
        assert manifests.get("opensbc", {}).get("menu"), sorted(manifests)
        index = cockpit_get(web, cookie, "/cockpit/@localhost/opensbc/index.html", context)
        assert "index.js" in index, index[:500]

        # SSH on the new address: the default password is refused, the new one accepted.
        wait_for_port(ssh_new)
        assert not ssh_accepts(ssh_new, "omc")
        assert ssh_accepts(ssh_new, "Sbc-test-2026!")
    finally:
        gen1.forwards = {}
        session.child.sendline("poweroff")
    assert session.wait_exit(timeout=300) == 0
