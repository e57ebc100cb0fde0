"""sbc.config.rtpengine: the rtpengine config file, and that the real daemon takes it."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
from pathlib import Path

import pytest
from media import rtp
from media.rtpengine import Rtpengine, free_port_window, free_udp_port
from sbc.config.rtpengine import main, render_config
from sbc.media import MediaRelay

REPO = Path(__file__).resolve().parents[2]


def settings(text: str) -> dict[str, str]:
    """key = value lines of the [rtpengine] section."""
    assert text.count("[rtpengine]") == 1
    pairs = [line.split(" = ", 1) for line in text.splitlines()
             if line and not line.startswith(("#", "["))]
    return {key: value for key, value in pairs}


def test_render_behind_one_to_one_nat() -> None:
    text = render_config("10.0.0.5", "203.0.113.5", port_min=30000, port_max=39999,
                         timeout=45, log_facility="local3", source="/data/sbc.yaml")
    assert settings(text) == {
        "table": "-1",
        "interface": "10.0.0.5!203.0.113.5",
        "listen-ng": "127.0.0.1:2223",
        "port-min": "30000",
        "port-max": "39999",
        "timeout": "45",
        "silent-timeout": "3600",
        "tos": "184",
        "log-level": "6",
        "log-facility": "local3",
        "log-stderr": "false",
    }
    assert "/data/sbc.yaml" in text


def test_render_without_nat_advertises_the_local_address() -> None:
    assert settings(render_config("192.0.2.10"))["interface"] == "192.0.2.10"
    assert settings(render_config("192.0.2.10", "192.0.2.10"))["interface"] == "192.0.2.10"


@pytest.mark.parametrize("kwargs", [
    {"local_address": "sbc.example"},
    {"local_address": "10.0.0.5", "public_address": "999.1.1.1"},
    {"local_address": "10.0.0.5", "ng_listen": "2223"},
    {"local_address": "10.0.0.5", "port_min": 40000, "port_max": 30000},
    {"local_address": "10.0.0.5", "port_min": 80, "port_max": 3000},
    {"local_address": "10.0.0.5", "port_min": 30000, "port_max": 30002},
    {"local_address": "10.0.0.5", "timeout": 0},
    {"local_address": "10.0.0.5", "log_facility": "user"},
    {"local_address": "10.0.0.5", "source": "a\nb"},
])
def test_render_refuses_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        render_config(**kwargs)  # type: ignore[arg-type]


@pytest.mark.peers
def test_rtpengine_takes_the_rendered_file(tmp_path: Path) -> None:
    ng_port = free_udp_port()
    low, high = free_port_window()
    config = tmp_path / "rtpengine.conf"
    config.write_text(render_config("127.0.0.1", "203.0.113.5", ng_listen=f"127.0.0.1:{ng_port}",
                                    port_min=low, port_max=high))
    with Rtpengine(tmp_path, config_file=config, ng_port=ng_port, ports=(low, high)) as engine:
        async def offer() -> dict[str, object]:
            relay = MediaRelay("127.0.0.1", ng_port)
            try:
                assert await relay.ping()
                # no media-address here: the "!" part of `interface` is what goes into SDP
                return await relay.request({"command": "offer", "call-id": "conf",
                                            "from-tag": "a", "sdp": rtp.carrier_offer(40000)})
            finally:
                await relay.close()

        reply = asyncio.run(asyncio.wait_for(offer(), 10))
        sdp = reply["sdp"]
        assert isinstance(sdp, bytes)
        assert rtp.connection(sdp) == {"203.0.113.5"}
        assert low <= rtp.port(sdp) <= high
        assert "Unknown" not in engine.log() and "ERR" not in engine.log()


def test_cli_writes_the_file_from_sbc_yaml(tmp_path: Path) -> None:
    source = tmp_path / "sbc.yaml"
    shutil.copy(REPO / "examples" / "lab.yaml", source)
    text = source.read_text().replace("public_ip: 127.0.0.1",
                                      "public_ip: 203.0.113.5\n  wan_ip: 10.0.0.5")
    source.write_text(text)
    out = tmp_path / "run" / "opensbc" / "rtpengine.conf"
    assert main(["--config", str(source), "--out", str(out)]) == 0
    values = settings(out.read_text())
    assert values["interface"] == "10.0.0.5!203.0.113.5"
    assert (values["port-min"], values["port-max"]) == ("30000", "31999")  # lab.yaml's media:
    assert values["listen-ng"] == "127.0.0.1:2223" and values["timeout"] == "60"
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o644
    assert [p.name for p in out.parent.iterdir()] == ["rtpengine.conf"]  # no temp file left


def test_cli_refuses_a_broken_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "sbc.yaml"
    source.write_text("sbc: {fqdn: 1.2.3.4}\n")
    out = tmp_path / "rtpengine.conf"
    assert main(["--config", str(source), "--out", str(out)]) == 1
    assert "rtpengine config not written" in capsys.readouterr().err
    assert not out.exists()
