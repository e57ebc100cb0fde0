"""Knot DNS (Debian package `knot`) on loopback: authoritative for one zone, taking RFC
2136 updates signed with one TSIG key, as a customer's primary DNS server would."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rdatatype
from acme_pebble import HOST, free_port

STARTUP = 10.0


def have_knot() -> bool:
    return shutil.which("knotd") is not None


@dataclass
class Knot:
    folder: Path
    zone: str = "example.org"
    key_name: str = "acme-key"
    secret: str = field(default_factory=lambda: base64.b64encode(os.urandom(32)).decode())
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def start(self) -> Knot:
        self.folder.mkdir(parents=True, exist_ok=True)
        zone_file = self.folder / f"{self.zone}.zone"
        zone_file.write_text(
            f"$ORIGIN {self.zone}.\n$TTL 60\n"
            f"@ SOA ns.{self.zone}. hostmaster.{self.zone}. 1 60 60 3600 60\n"
            f"@ NS ns.{self.zone}.\nns A {HOST}\nsbc A {HOST}\n")
        conf = self.folder / "knot.conf"
        conf.write_text(
            f"server:\n    listen: {HOST}@{self.port}\n    rundir: {self.folder}\n"
            f"database:\n    storage: {self.folder}\n"
            f"key:\n  - id: {self.key_name}\n    algorithm: hmac-sha256\n"
            f"    secret: {self.secret}\n"
            f"acl:\n  - id: update\n    key: {self.key_name}\n    action: update\n"
            f"zone:\n  - domain: {self.zone}\n    file: {zone_file}\n    acl: update\n"
            f"    zonefile-sync: -1\n    journal-content: none\n")
        log = (self.folder / "knotd.log").open("wb")
        self.proc = subprocess.Popen(["knotd", "-c", str(conf)], stdout=log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP
        while self.txt("ns." + self.zone) is None:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                text = (self.folder / "knotd.log").read_text(errors="replace")
                raise RuntimeError(f"knotd did not start:\n{text}")
            time.sleep(0.1)
        return self

    def txt(self, name: str) -> list[str] | None:
        """The TXT values at `name` ([] if none), None while the server does not answer."""
        query = dns.message.make_query(name, dns.rdatatype.TXT)
        try:
            answer = dns.query.udp(query, HOST, port=self.port, timeout=1)
        except (dns.exception.DNSException, OSError):
            return None
        return [r.to_text() for rrset in answer.answer for r in rrset]

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=5)
            self.proc = None
