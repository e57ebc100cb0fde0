"""A minimal pcap reader for the tests: records back into addresses, ports and payloads."""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

from sbc.trace.packets import checksum


@dataclass(frozen=True)
class Packet:
    ts: float
    proto: str  # "udp" | "tcp"
    src: str
    sport: int
    dst: str
    dport: int
    payload: bytes
    seq: int = 0
    ack: int = 0
    flags: int = 0


def read_pcap(data: bytes) -> tuple[int, list[Packet]]:
    """(linktype, packets); asserts lengths and checksums on the way."""
    magic, major, minor, _, _, snaplen, linktype = struct.unpack_from("<IHHiIII", data)
    assert (magic, major, minor) == (0xA1B2C3D4, 2, 4)
    out, offset = [], 24
    while offset < len(data):
        sec, usec, caplen, origlen = struct.unpack_from("<IIII", data, offset)
        assert caplen == origlen <= snaplen
        packet = data[offset + 16 : offset + 16 + caplen]
        assert len(packet) == caplen
        out.append(parse_ip(sec + usec / 1e6, packet))
        offset += 16 + caplen
    return linktype, out


def parse_ip(ts: float, packet: bytes) -> Packet:
    version = packet[0] >> 4
    if version == 4:
        assert checksum(packet[:20]) == 0
        total, proto = struct.unpack_from("!H", packet, 2)[0], packet[9]
        assert total == len(packet)
        src, dst = ipaddress.IPv4Address(packet[12:16]), ipaddress.IPv4Address(packet[16:20])
        body = packet[20:]
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, proto, len(body))
    else:
        assert version == 6
        length, proto = struct.unpack_from("!HB", packet, 4)
        assert length == len(packet) - 40
        src, dst = ipaddress.IPv6Address(packet[8:24]), ipaddress.IPv6Address(packet[24:40])
        body = packet[40:]
        pseudo = src.packed + dst.packed + struct.pack("!I3xB", len(body), proto)
    assert checksum(pseudo + body) == 0, "transport checksum"
    if proto == 17:
        sport, dport, length, _ = struct.unpack_from("!HHHH", body)
        assert length == len(body)
        return Packet(ts, "udp", str(src), sport, str(dst), dport, body[8:])
    assert proto == 6
    sport, dport, seq, ack, off, flags = struct.unpack_from("!HHIIBB", body)
    return Packet(ts, "tcp", str(src), sport, str(dst), dport, body[(off >> 4) * 4 :],
                  seq, ack, flags)
