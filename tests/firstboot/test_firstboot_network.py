"""NetworkChange's undo against a recording NetworkManager double (no nmcli at all)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from firstboot.keyfile import connection_uuid
from firstboot.model import Identity, NetworkPlan, StaticIPv4
from firstboot.network import NetworkChange
from firstboot.nm import ActiveConnection, NetworkManager
from firstboot.run import CommandError

PLAN = NetworkPlan("eth0", StaticIPv4(ipaddress.IPv4Interface("10.0.2.50/24"),
                                      ipaddress.IPv4Address("10.0.2.2"),
                                      (ipaddress.IPv4Address("10.0.2.3"),)),
                   Identity("sbc1.example.test"))
UUID = connection_uuid("eth0")


class RecordingNM(NetworkManager):
    def __init__(self, active: ActiveConnection | None, fail: frozenset[str] = frozenset(),
                 directory: Path | None = None) -> None:
        super().__init__("nmcli-not-used")
        self._dir = directory
        self.calls: list[tuple[str, str]] = []
        self._active = active
        self._fail = fail

    def _do(self, what: str, arg: str) -> None:
        self.calls.append((what, arg))
        if what in self._fail:
            raise CommandError(what, ["nmcli", what, arg], "exit status 10")

    def active(self) -> list[ActiveConnection]:
        return [self._active] if self._active else []

    def load(self, keyfile: Path) -> None:
        self._do("load", keyfile.name)

    def up(self, uuid: str) -> None:
        self._do("up", uuid)

    def delete(self, uuid: str) -> None:
        self._do("delete", uuid)
        if self._dir:  # like NetworkManager, deleting a profile deletes its keyfile
            (self._dir / "eth0.nmconnection").unlink()

    def connect(self, device: str) -> None:
        self._do("connect", device)


def test_new_profile_removed_even_when_nmcli_cannot(tmp_path: Path) -> None:
    previous = ActiveConnection("Wired connection 1", "prev-uuid", "eth0")
    nm = RecordingNM(previous, frozenset({"delete"}))
    change = NetworkChange(nm, tmp_path)
    snap = change.snapshot("eth0")
    assert snap.keyfile_data is None and snap.previous is not None
    change.apply(PLAN)
    assert (tmp_path / "eth0.nmconnection").exists()
    problems = change.restore(snap)
    assert not (tmp_path / "eth0.nmconnection").exists()
    assert nm.calls == [("load", "eth0.nmconnection"), ("up", UUID), ("delete", UUID),
                        ("load", "eth0.nmconnection"), ("up", "prev-uuid")]
    assert len(problems) == 1 and "exit status 10" in problems[0]


def test_without_previous_connection_the_device_reconnects(tmp_path: Path) -> None:
    nm = RecordingNM(None, directory=tmp_path)
    change = NetworkChange(nm, tmp_path)
    snap = change.snapshot("eth0")
    change.apply(PLAN)
    assert change.restore(snap) == []
    assert nm.calls[-2:] == [("delete", UUID), ("connect", "eth0")]


def test_earlier_keyfile_comes_back_byte_for_byte(tmp_path: Path) -> None:
    earlier = b"[connection]\nid=eth0\n"
    (tmp_path / "eth0.nmconnection").write_bytes(earlier)
    (tmp_path / "eth0.nmconnection").chmod(0o600)
    nm = RecordingNM(ActiveConnection("eth0", UUID, "eth0"))
    change = NetworkChange(nm, tmp_path)
    snap = change.snapshot("eth0")
    change.apply(PLAN)
    assert (tmp_path / "eth0.nmconnection").read_bytes() != earlier
    assert change.restore(snap) == []
    assert (tmp_path / "eth0.nmconnection").read_bytes() == earlier
    assert nm.calls[-2:] == [("load", "eth0.nmconnection"), ("up", UUID)]


def test_gateway_check_with_a_missing_ping(tmp_path: Path) -> None:
    change = NetworkChange(RecordingNM(None), tmp_path, ping=str(tmp_path / "no-ping"))
    assert change.gateway_answers(ipaddress.IPv4Address("10.0.2.2"), "eth0") is False
