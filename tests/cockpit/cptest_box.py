"""A test box for the walkthrough in the browser: the real SBC, from the seeded config,
between real peers, with the web page in cockpit-ws.

What the box has before the admin opens the page, as a box after the first-boot wizard:
- `data/sbc.yaml` from `sbc.config.seed` (FQDN sbc.lab.test, public IP 127.0.0.1) and
  `data/ca.pem` built by it; nothing else in `data/` (no certificate yet).
- What only the lab needs, written under the seed's text: listen ports, the data paths
  in this folder, rtpengine's ng port and RTP window, and `hosts:` (the box's name table:
  reg.sip-trunk.telekom.de to the carrier's SIPp, sip/sip2/sip3.pstnhub.microsoft.com to
  the Teams stand-ins) — the equivalent of the box's DNS.
- `sbc run` (the real one) with its run folder; `systemctl` and `sbc` on the page's PATH
  are tests/cockpit/box/ (reload = SIGHUP, restart = run again; the real CLI).
- The peers: a SIPp carrier at the registrar's address (carrier_answer.xml: REGISTER, then
  one call), Teams1 as TLS relay + SIPp answering every OPTIONS (the test CA's
  sip.pstnhub.microsoft.com certificate, mutual TLS), Teams2/3 not listening, rtpengine,
  and a real rsyslogd on loopback.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cptest_rig import HERE, REPO, cockpit_ws

sys.path.insert(0, str(REPO / "tests"))  # the peers' and calls' labs

from calls.lab import (  # noqa: E402
    PSTN_CALLED,
    SCENARIOS,
    TEAMS_USER,
    sipp_sets,
)
from media.rtpengine import Rtpengine  # noqa: E402
from peers.rsyslogd import Rsyslog, rsyslogd  # noqa: E402
from peers.sbcproc import (  # noqa: E402
    FQDN,
    TEAMS,
    Pki,
    Ports,
    Sipp,
    free_port,
    make_pki,
    sbc_command,
    wait_until,
)
from peers.tlsrelay import TlsRelay  # noqa: E402
from sbc.config.seed import seed  # noqa: E402

PEER_SCENARIOS = REPO / "tests/peers/scenarios"


@dataclass
class Box:
    url: str  # the SBC page in cockpit-ws
    folder: Path
    data: Path  # the box's /data
    config: Path  # data/sbc.yaml
    run: Path  # the SBC's run folder (status.json)
    log: Path  # what box/systemctl (and the fake journalctl) recorded
    sbc_log: Path  # the SBC's own output
    pki: Pki  # the test CA: signs the box's request, issued the Teams stand-ins'
    ports: Ports
    carrier_port: int
    teams_plain: int  # the TCP port that carries "Teams"' own requests to the SBC's TLS
    rsyslog: Rsyslog
    peers: list[Sipp]

    def section(self, name: str) -> str:
        return f"{self.url}#/{name}"

    def status(self) -> dict[str, Any]:
        for _ in range(40):
            try:
                doc: dict[str, Any] = json.loads((self.run / "status.json").read_text())
                return doc
            except (FileNotFoundError, ValueError):
                time.sleep(0.05)
        raise AssertionError(f"no status file in {self.run}\n{self.output()}")

    def connection(self, name: str) -> dict[str, Any]:
        """The connection's entry in the status ({} until a reload brings it)."""
        return next((c for c in self.status()["connections"] if c["name"] == name), {})

    def output(self) -> str:
        return self.sbc_log.read_text(errors="replace")[-6000:] if self.sbc_log.exists() else ""

    def teams_call(self, *, hold_ms: int) -> Sipp:
        """Teams1 calls the PSTN through the SBC (SIPp through the relay's TCP port)."""
        path = SCENARIOS / "teams_call.xml"
        sets = sipp_sets(path, {"tls_port": self.ports.tls, "called": PSTN_CALLED,
                                "calling": TEAMS_USER, "hold_ms": hold_ms})
        return self._sipp("teams_call", path, ["-t", "t1", "-i", "127.0.0.1", "-p",
                                               str(free_port()), f"127.0.0.1:{self.teams_plain}",
                                               "-m", "1", *sets], timeout=60)

    def teams_options(self) -> Sipp:
        """Teams1 sends one OPTIONS to the SBC's TLS port (through the relay)."""
        return self._sipp("teams_uac", PEER_SCENARIOS / "teams_uac.xml", [
            "-t", "t1", "-i", "127.0.0.1", "-p", str(free_port()),
            f"127.0.0.1:{self.teams_plain}", "-m", "1", "-set", "fqdn", FQDN,
            "-set", "tls_port", str(self.ports.tls)], timeout=20)

    def _sipp(self, name: str, scenario: Path, args: list[str], *, timeout: float) -> Sipp:
        sipp = Sipp(self.folder, f"{name}{len(self.peers)}", str(scenario), args,
                    timeout=timeout).start()
        self.peers.append(sipp)
        return sipp


def lab_sections(engine: Rtpengine, hosts: dict[str, str]) -> str:
    """The seed's text changed only where the lab differs from a box on the internet."""
    return (
        "media:\n"
        f"  rtpengine: 127.0.0.1:{engine.ng_port}\n"
        f"  port_min: {engine.port_min}\n"
        f"  port_max: {engine.port_max}\n"
        "hosts:\n" + "".join(f"  {name}: {addr}\n" for name, addr in hosts.items())
    )


def box_config(text: str, data: Path, ports: Ports, engine: Rtpengine,
               hosts: dict[str, str]) -> str:
    listen = (
        f"    - {{transport: udp, address: 127.0.0.1, port: {ports.udp}}}\n"
        f"    - {{transport: tcp, address: 127.0.0.1, port: {ports.tcp}}}\n"
        f"    - {{transport: tls, address: 127.0.0.1, port: {ports.tls}}}"
        "   # \"SipSignalingPort\" in Teams\n"
    )
    start = text.index("    - {transport: udp, port: 5060}")
    end = text.index("\n", text.index("    - {transport: tls, port: 5061}")) + 1
    text = text[:start] + listen + text[end:]
    text = text.replace("/data/", f"{data}/")
    return text + "\n" + lab_sections(engine, hosts)


@contextmanager
def running_box(folder: Path, built_page: Path) -> Iterator[Box]:
    with ExitStack() as stack:
        pki = make_pki(folder / "pki")
        (folder / "rtpengine").mkdir()
        engine = Rtpengine(folder / "rtpengine").start()
        stack.callback(engine.stop)
        rsyslog = stack.enter_context(rsyslogd(folder / "rsyslog"))
        peers: list[Sipp] = []
        stack.callback(lambda: [p.kill() for p in reversed(peers)])

        same = free_port()
        ports = Ports(udp=same, tcp=same, tls=free_port())
        carrier_port = free_port()
        teams1 = (free_port(), free_port(), free_port())  # relay TLS, SIPp, relay plain
        cert, key = pki.peers[TEAMS[0]]
        relay = TlsRelay(cert=cert, key=key, ca=pki.ca, tls_port=teams1[0], sipp_port=teams1[1],
                         plain_port=teams1[2], sbc_tls_port=ports.tls, sbc_name=FQDN).start()
        stack.callback(relay.stop)
        hosts = {"reg.sip-trunk.telekom.de": f"127.0.0.1:{carrier_port}",
                 TEAMS[0]: f"127.0.0.1:{teams1[0]}",
                 TEAMS[1]: f"127.0.0.1:{free_port()}",  # nobody listens: Teams2/3 down
                 TEAMS[2]: f"127.0.0.1:{free_port()}"}

        # the box after the wizard: the seed, then the lab's ports and names
        data = folder / "data"
        data.mkdir()
        config = data / "sbc.yaml"
        assert seed(config, FQDN, "127.0.0.1", data_dir=data).written
        config.write_text(box_config(config.read_text(), data, ports, engine, hosts))

        peers.append(Sipp(folder, "carrier", str(SCENARIOS / "carrier_answer.xml"), [
            "-t", "t1", "-i", "127.0.0.1", "-p", str(carrier_port), "-m", "2",
            *sipp_sets(SCENARIOS / "carrier_answer.xml", {})], timeout=600).start())
        peers.append(Sipp(folder, "teams1_options", str(PEER_SCENARIOS / "options_uas.xml"), [
            "-t", "t1", "-i", "127.0.0.1", "-p", str(teams1[1])], timeout=600).start())

        run = folder / "run"
        sbc_log = folder / "sbc.log"
        argv = [*sbc_command(), "run", "--config", str(config), "--run-dir", str(run), "-v",
                "--status-interval", "0.5"]
        record = folder / "calls.log"
        share = folder / "share/cockpit"
        share.mkdir(parents=True)
        (share / "opensbc").symlink_to(built_page)
        env = {
            "PATH": (f"{HERE / 'box'}:{HERE / 'fakes'}:{Path(sys.executable).parent}:"
                     "/usr/sbin:/usr/bin:/sbin:/bin"),
            "HOME": str(folder),
            "LANG": "C.UTF-8",
            "XDG_DATA_HOME": str(folder / "share"),
            "XDG_CONFIG_DIRS": str(folder),
            "PYTHONPATH": str(REPO / "appliance"),
            "PYTHONUNBUFFERED": "1",
            "OPENSBC_CONFIG": str(config),
            "OPENSBC_DATA_DIR": str(data),
            "OPENSBC_RUN_DIR": str(run),
            "OPENSBC_SYSTEMCTL": str(HERE / "box/systemctl"),
            "FAKE_SBC_LOG": str(record),
            "BOX_SBC_ARGV": json.dumps(argv),
            "BOX_SBC_LOG": str(sbc_log),
        }
        started = _run_script(HERE / "box/systemctl", ["start", "opensbc.service"], env)
        assert started == 0, sbc_log.read_text(errors="replace")
        stack.callback(_stop_sbc, run)

        base = stack.enter_context(cockpit_ws(env, folder))
        yield Box(f"{base}/cockpit/@localhost/opensbc/index.html", folder, data, config, run,
                  record, sbc_log, pki, ports, carrier_port, teams1[2], rsyslog, peers)


def _run_script(script: Path, args: list[str], env: dict[str, str]) -> int:
    return subprocess.run([str(script), *args], env=env, timeout=60).returncode


def _stop_sbc(run: Path) -> None:
    """Stop whichever `sbc run` the box's systemctl started last (not our child)."""
    try:
        pid = json.loads((run / "status.json").read_text()).get("pid")
    except (OSError, ValueError):
        return
    if not isinstance(pid, int):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        return

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except OSError:
            return True
        return False

    try:
        wait_until(gone, 10, "the SBC to stop")
    except AssertionError:
        os.kill(pid, signal.SIGKILL)
