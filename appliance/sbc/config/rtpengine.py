"""rtpengine's configuration file, from the SBC's config.

    python3 -m sbc.config.rtpengine --config /data/sbc.yaml --out /run/opensbc/rtpengine.conf
    rtpengine --config-file=/run/opensbc/rtpengine.conf --config-section=rtpengine

`render_config` is a pure function of plain arguments (tested against the real
daemon); `main` reads them from `sbc.yaml`: the WAN address (`sbc.wan_ip`, else
`sbc.public_ip`) with `sbc.public_ip` advertised, and the `media:` section.
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
from dataclasses import dataclass
from pathlib import Path

from ..util.atomic import atomic_write
from ..util.templates import Templates
from .issues import ConfigError
from .loader import load_config
from .model import Config

DEFAULT_OUT = "/run/opensbc/rtpengine.conf"
FACILITIES = ("daemon", *(f"local{n}" for n in range(8)))

_templates = Templates.beside(__file__)


@dataclass(frozen=True)
class RtpengineSettings:
    """Everything the rendered file says; validated here, so the template trusts it."""

    local_address: str  # the address rtpengine binds RTP sockets to
    public_address: str  # what it writes into SDP (differs behind 1:1 NAT)
    ng_listen: str = "127.0.0.1:2223"
    port_min: int = 30000
    port_max: int = 39999
    timeout: int = 60
    silent_timeout: int = 3600
    tos: int = 184
    log_level: int = 6
    log_facility: str = "daemon"
    source: str = "arguments"

    def __post_init__(self) -> None:
        for name in ("local_address", "public_address"):
            try:
                ipaddress.ip_address(getattr(self, name))
            except ValueError:
                raise ValueError(f"{name} {getattr(self, name)!r} is not an IP address") from None
        host, _, port = self.ng_listen.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"ng_listen {self.ng_listen!r} is not ADDRESS:PORT")
        if not 1024 <= self.port_min < self.port_max <= 65535:
            raise ValueError(f"RTP ports {self.port_min}-{self.port_max}: need "
                             "1024 <= port_min < port_max <= 65535")
        if self.port_max - self.port_min < 3:
            raise ValueError("RTP port range too small: a call needs 4 ports")
        if self.timeout < 1 or self.silent_timeout < self.timeout:
            raise ValueError("timeout must be >= 1 s and silent_timeout >= timeout")
        if not 0 <= self.tos <= 255 or not 0 <= self.log_level <= 7:
            raise ValueError("tos must be 0..255 and log_level 0..7")
        if self.log_facility not in FACILITIES:
            raise ValueError(f"log_facility {self.log_facility!r}: one of {', '.join(FACILITIES)}")
        if "\n" in self.source:
            raise ValueError("source must be one line")

    @property
    def interface(self) -> str:
        if self.public_address == self.local_address:
            return self.local_address
        return f"{self.local_address}!{self.public_address}"


def render_config(
    local_address: str,
    public_address: str | None = None,
    *,
    ng_listen: str = "127.0.0.1:2223",
    port_min: int = 30000,
    port_max: int = 39999,
    timeout: int = 60,
    log_facility: str = "daemon",
    source: str = "arguments",
) -> str:
    """The INI text of rtpengine's config (section [rtpengine]); ValueError on bad input."""
    settings = RtpengineSettings(
        local_address=local_address,
        public_address=public_address or local_address,
        ng_listen=ng_listen,
        port_min=port_min,
        port_max=port_max,
        timeout=timeout,
        silent_timeout=max(3600, timeout),
        log_facility=log_facility,
        source=source,
    )
    return _templates.render("rtpengine.conf.j2", s=settings)


def render_for(config: Config) -> str:
    """The file for one SBC config."""
    sbc, media = config.sbc, config.media
    local = sbc.wan_ip or sbc.public_ip
    host, port = media.rtpengine
    return render_config(
        str(local),
        str(sbc.public_ip),
        ng_listen=f"{host}:{port}",
        port_min=media.port_min,
        port_max=media.port_max,
        timeout=media.no_rtp_timeout,
        source=config.path,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m sbc.config.rtpengine",
                                     description="Write rtpengine's config from sbc.yaml.")
    parser.add_argument("--config", default="/data/sbc.yaml", help="SBC config (%(default)s)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="file to write (%(default)s)")
    args = parser.parse_args(argv)
    try:
        text = render_for(load_config(args.config))
    except ConfigError as exc:
        print(f"{args.config}: not usable, rtpengine config not written:\n{exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"{args.config}: cannot configure rtpengine: {exc}", file=sys.stderr)
        return 1
    out = Path(args.out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(out, text.encode("utf-8"), mode=0o644)
    except OSError as exc:
        print(f"cannot write {out}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
