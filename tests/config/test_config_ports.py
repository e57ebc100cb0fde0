"""A change that adds a listener on a port another program holds is refused, naming the
listener; the ports the file had already (the running SBC's own) are not probed."""

from __future__ import annotations

import socket
from pathlib import Path

from sbc.config.change import Editor, commit
from sbc.config.loader import parse
from sbc.config.ports import busy_listeners, probe_bind

BASE = """\
sbc:
  fqdn: sbc.lab.test
  public_ip: 198.51.100.7
  listen:
    - {transport: udp, address: 127.0.0.1, port: PORT}
    - {transport: tcp, address: 127.0.0.1, port: PORT}
    - {transport: tls, address: 127.0.0.1, port: TLS}
  tls: {cert: /data/sbc.crt, key: /data/sbc.key, ca_bundle: /data/ca.pem}
connections: []
"""


def free() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def text(port: int, tls: int) -> str:
    return BASE.replace("TLS", str(tls)).replace("PORT", str(port))


def test_a_new_tls_port_held_by_another_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sbc.yaml"
    port, tls = free(), free()
    path.write_text(text(port, tls))
    with socket.socket() as other:  # another program listening
        other.bind(("127.0.0.1", 0))
        other.listen()
        held = other.getsockname()[1]
        editor = Editor(str(path), path.read_text())
        editor.set("sbc.tls_port", str(held))
        outcome = commit(editor, path)
    assert outcome.config is None and not outcome.saved
    [issue] = outcome.errors
    assert issue.field == "sbc.listen[2].port"
    assert f"port {held} is in use by another program" in issue.message
    assert path.read_text() == text(port, tls)  # nothing written


def test_ports_the_file_had_are_not_probed(tmp_path: Path) -> None:
    with socket.socket() as running:  # the SBC itself holds its TLS port
        running.bind(("127.0.0.1", 0))
        running.listen()
        tls = running.getsockname()[1]
        before, _ = parse("sbc.yaml", text(free(), tls))
        after, _ = parse("sbc.yaml", text(free(), tls).replace("public_ip: 198.51.100.7",
                                                                "public_ip: 198.51.100.8"))
        assert before is not None and after is not None
        assert busy_listeners(before, after) == []
        assert probe_bind(after.sbc.listen[2]) == "in use"


def test_a_free_new_port_passes(tmp_path: Path) -> None:
    path = tmp_path / "sbc.yaml"
    path.write_text(text(free(), free()))
    editor = Editor(str(path), path.read_text())
    editor.set("sbc.tls_port", str(free()))
    outcome = commit(editor, path)
    assert outcome.saved, outcome.errors
