"""QEMU stand-ins for Hyper-V, driven over the serial console with pexpect.

gen1: machine `pc` with SeaBIOS, IDE disk and IDE CD-ROM (Hyper-V Generation 1).
gen2: `q35` with OVMF, Secure Boot enforced with Microsoft's keys (as Hyper-V's
"Microsoft UEFI Certificate Authority" template), virtio-scsi disk and CD
(Generation 2). TCG only: KVM does not work on these machines.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pexpect

OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.ms.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.ms.fd")
Gen = Literal["gen1", "gen2"]
# Serial output arrives as \r\r\n; match line ends loosely.
PROMPT = "OPENSBC-TEST# "
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def make_disk(path: Path, size: str, fmt: str = "qcow2") -> Path:
    subprocess.run(["qemu-img", "create", "-q", "-f", fmt, str(path), size], check=True)
    return path


@dataclass
class VM:
    """One virtual machine: its disk and (for gen2) its own UEFI variable store."""

    gen: Gen
    workdir: Path
    disk: Path
    disk_format: str = "qcow2"
    log_dir: Path | None = None
    runs: int = field(default=0)
    # host port -> (guest address, guest port), through QEMU's user-mode network
    forwards: dict[int, tuple[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.gen == "gen2":
            self.vars = self.workdir / f"{self.disk.stem}-VARS.fd"
            if not self.vars.exists():
                shutil.copy(OVMF_VARS, self.vars)

    def command(self, iso: Path | None, memory_mb: int = 2048) -> list[str]:
        nic = "user,model=" + ("virtio-net-pci" if self.gen == "gen2" else "e1000")
        for host_port, (guest, guest_port) in self.forwards.items():
            nic += f",hostfwd=tcp:127.0.0.1:{host_port}-{guest}:{guest_port}"
        cmd = ["qemu-system-x86_64", "-accel", "tcg", "-smp", "2", "-m", str(memory_mb),
               "-display", "none", "-monitor", "none", "-no-reboot",
               # signal=off: a Ctrl-C typed by a test reaches the guest, not QEMU.
               "-chardev", "stdio,id=serial0,signal=off", "-serial", "chardev:serial0",
               "-nic", nic]
        disk = f"file={self.disk},format={self.disk_format},cache=unsafe"
        if self.gen == "gen1":
            cmd += ["-machine", "pc", "-drive", f"{disk},if=ide,index=0,media=disk"]
            if iso:
                cmd += ["-drive", f"file={iso},if=ide,index=2,media=cdrom,readonly=on",
                        "-boot", "order=dc"]
            else:
                cmd += ["-boot", "order=c"]
        else:
            cmd += ["-machine", "q35,smm=on",
                    "-global", "driver=cfi.pflash01,property=secure,value=on",
                    "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
                    "-drive", f"if=pflash,format=raw,unit=1,file={self.vars}",
                    "-device", "virtio-scsi-pci,id=scsi0",
                    "-drive", f"{disk},if=none,id=hd0",
                    "-device", "scsi-hd,drive=hd0,bus=scsi0.0,bootindex=1"]
            if iso:
                cmd += ["-drive", f"file={iso},if=none,id=cd0,media=cdrom,readonly=on",
                        "-device", "scsi-cd,drive=cd0,bus=scsi0.0,bootindex=0"]
        return cmd

    def start(self, iso: Path | None, name: str, timeout: float = 900) -> Session:
        self.runs += 1
        log_path = (self.log_dir or self.workdir) / f"{name}.serial.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        logfile = log_path.open("w", encoding="utf-8", errors="replace")
        child = pexpect.spawn(
            self.command(iso)[0], self.command(iso)[1:], encoding="utf-8",
            codec_errors="replace", timeout=timeout, logfile=logfile, dimensions=(50, 200),
        )
        return Session(child, log_path, time.monotonic())


@dataclass
class Session:
    child: pexpect.spawn
    log_path: Path
    started: float

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def expect(self, pattern: str, timeout: float | None = None) -> str:
        try:
            self.child.expect(pattern, timeout=timeout if timeout is not None else -1)
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise AssertionError(
                f"waited for {pattern!r}: {type(exc).__name__}; serial log "
                f"{self.log_path}, last output:\n{tail}"
            ) from None
        return str(self.child.after)

    def wait_exit(self, timeout: float = 900) -> int:
        """Waits for QEMU to end (the guest powered off, -no-reboot)."""
        self.expect(pexpect.EOF, timeout=timeout)
        self.child.close()
        return int(self.child.exitstatus or 0)

    def login(self, user: str = "root", password: str = "omc", timeout: float = 600,
              wizard: bool = False) -> float:
        """Logs in on the serial getty; returns seconds from start to the login prompt.

        wizard=True stops right after the password, with the first-boot wizard starting.
        """
        self.expect(r"login: ", timeout=timeout)
        at_prompt = self.elapsed()
        self.child.sendline(user)
        self.expect("Password: ", timeout=60)
        self.child.sendline(password)
        if wizard:
            self.expect("first-boot setup", timeout=120)
            return at_prompt
        # At the first console login the first-boot wizard starts; tests that are not
        # about the wizard stop it with Ctrl-C, which leaves the settings as they were.
        try:
            seen = self.child.expect(["first-boot setup", r"[#$] "], timeout=120)
        except (pexpect.TIMEOUT, pexpect.EOF):
            raise AssertionError(f"no shell after login; serial log {self.log_path}") from None
        if seen == 0:
            self.child.sendcontrol("c")
            self.expect("Cancelled", timeout=60)
            self.expect(r"[#$] ", timeout=60)
        self.shell()
        return at_prompt

    def shell(self) -> None:
        """Sets a fixed prompt (easy to wait for) and turns echo off. The prompt is spelt
        in two quoted halves so the echo of this very line cannot match it."""
        half = len(PROMPT) // 2
        self.child.sendline(
            "bind 'set enable-bracketed-paste off' 2>/dev/null; stty -echo cols 200; "
            f"export OPENSBC_NO_FIRSTBOOT=1 PS1='{PROMPT[:half]}''{PROMPT[half:]}'"
        )
        self.expect(re.escape(PROMPT), timeout=60)

    def run(self, command: str, timeout: float = 120) -> str:
        """Runs a shell command on the guest; returns its output (without the prompt)."""
        self.child.sendline(command)
        self.expect(re.escape(PROMPT), timeout=timeout)
        out = ANSI.sub("", str(self.child.before))
        return out.replace("\r", "").strip()

    def kill(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)
