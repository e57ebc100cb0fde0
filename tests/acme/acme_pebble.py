"""Pebble, the ACME test server (Debian package `pebble`), on loopback for the tests.

Pebble validates HTTP-01 at http://<name>:<httpPort>/, resolving names with the DNS
server it is given: pebble-challtestsrv from the same package, which answers every A
query with 127.0.0.1 (and no AAAA), so nothing leaves loopback; for DNS-01 it asks the
test's Knot server (acme_knot.py) instead. Pebble's own HTTPS
certificate comes from a lab CA (`ca_file`: what the ACME client must trust), and its
issuing root, made anew at each start, from its management port (`root_pem`).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sbc.certs.testpki import LabCA

HOST = "127.0.0.1"
STARTUP = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def have_pebble() -> bool:
    return bool(shutil.which("pebble") and shutil.which("pebble-challtestsrv"))


@dataclass
class Pebble:
    folder: Path
    http_port: int = field(default_factory=free_port)  # where Pebble fetches HTTP-01
    eab: dict[str, str] | None = None  # kid -> HMAC: Pebble then requires EAB
    dns_server: str | None = None  # "IP:PORT" instead of pebble-challtestsrv (DNS-01)
    listen: int = field(default_factory=free_port)
    management: int = field(default_factory=free_port)
    dns: int = field(default_factory=free_port)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def directory(self) -> str:
        return f"https://{HOST}:{self.listen}/dir"

    @property
    def ca_file(self) -> Path:
        return self.folder / "pebble-tls-ca.pem"

    def start(self) -> Pebble:
        self.folder.mkdir(parents=True, exist_ok=True)
        ca = LabCA("Pebble TLS")
        files = ca.write(self.folder, ca.issue("localhost", ip_sans=[HOST]))
        ca.write_root(self.ca_file)
        config = {"pebble": {
            "listenAddress": f"{HOST}:{self.listen}",
            "managementListenAddress": f"{HOST}:{self.management}",
            "certificate": str(files.cert), "privateKey": str(files.key),
            "httpPort": self.http_port, "tlsPort": free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": self.eab is not None,
            "externalAccountMACKeys": self.eab or {},
        }}
        path = self.folder / "pebble-config.json"
        path.write_text(json.dumps(config, indent=2))
        env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0",
               "PEBBLE_AUTHZREUSE": "0"}
        log = (self.folder / "pebble.log").open("wb")
        dns = self.dns_server or f"{HOST}:{self.dns}"
        if self.dns_server is None:
            self.procs.append(subprocess.Popen(
                ["pebble-challtestsrv", "-defaultIPv4", HOST, "-defaultIPv6", "",
                 "-dns01", f"{HOST}:{self.dns}", "-http01", "", "-https01", "",
                 "-tlsalpn01", "", "-management", f"{HOST}:{free_port()}"],
                stdout=log, stderr=subprocess.STDOUT))
        self.procs.append(subprocess.Popen(
            ["pebble", "-config", str(path), "-dnsserver", dns],
            stdout=log, stderr=subprocess.STDOUT, env=env))
        self._wait()
        return self

    def _wait(self) -> None:
        deadline = time.monotonic() + STARTUP
        while True:
            try:
                requests.get(self.directory, verify=str(self.ca_file), timeout=2)
                requests.get(f"https://{HOST}:{self.management}/roots/0",
                             verify=str(self.ca_file), timeout=2)
                return
            except requests.RequestException:
                if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                    self.stop()
                    log = (self.folder / "pebble.log").read_text(errors="replace")
                    raise RuntimeError(f"pebble did not start:\n{log}") from None
                time.sleep(0.1)

    def root_pem(self) -> bytes:
        """The root Pebble issues under (the chain it sends ends below it)."""
        answer = requests.get(f"https://{HOST}:{self.management}/roots/0",
                              verify=str(self.ca_file), timeout=5)
        answer.raise_for_status()
        return answer.content

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()
