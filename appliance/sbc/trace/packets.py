"""Synthetic IPv4/IPv6 and UDP/TCP headers around a SIP message (bytes in, bytes out).

The trace records SIP after TLS decryption, so there is no real packet to copy: these
headers carry the real addresses and ports, correct lengths and correct checksums, so
Wireshark shows no checksum or length warnings.
"""

from __future__ import annotations

import ipaddress
import struct

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

PROTO_TCP = 6
PROTO_UDP = 17
TTL = 64

TCP_FIN = 0x01
TCP_SYN = 0x02
TCP_PSH = 0x08
TCP_ACK = 0x10

#: The largest payload an IPv4 packet can carry in one TCP segment (65535 - 20 - 20).
MAX_TCP_PAYLOAD = 65495
#: UDP payload limit: 65535 - 8 (UDP) - 20 (IPv4 header, the smaller of the two cases).
MAX_UDP_PAYLOAD = 65507


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): ones' complement of the ones' complement sum."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _pseudo_header(src: IPAddress, dst: IPAddress, proto: int, length: int) -> bytes:
    if src.version == 4:
        return src.packed + dst.packed + struct.pack("!BBH", 0, proto, length)
    return src.packed + dst.packed + struct.pack("!I3xB", length, proto)


def udp_datagram(src: IPAddress, dst: IPAddress, sport: int, dport: int, payload: bytes) -> bytes:
    """UDP header + payload (RFC 768), checksum over the pseudo-header."""
    length = 8 + len(payload)
    header = struct.pack("!HHHH", sport, dport, length, 0)
    csum = checksum(_pseudo_header(src, dst, PROTO_UDP, length) + header + payload)
    return struct.pack("!HHHH", sport, dport, length, csum or 0xFFFF) + payload


def tcp_segment(
    src: IPAddress,
    dst: IPAddress,
    sport: int,
    dport: int,
    seq: int,
    ack: int,
    payload: bytes,
    flags: int = TCP_PSH | TCP_ACK,
    window: int = 65535,
) -> bytes:
    """TCP header without options (RFC 9293 §3.1) + payload."""
    fields = [sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, window]
    header = struct.pack("!HHIIBBHHH", *fields, 0, 0)
    csum = checksum(_pseudo_header(src, dst, PROTO_TCP, len(header) + len(payload))
                    + header + payload)
    return struct.pack("!HHIIBBHHH", *fields, csum, 0) + payload


def ip_packet(src: IPAddress, dst: IPAddress, proto: int, body: bytes, ident: int = 0) -> bytes:
    """An IPv4 (RFC 791, DF set) or IPv6 (RFC 8200) header in front of `body`."""
    if src.version != dst.version:
        raise ValueError(f"address families differ: {src} -> {dst}")
    if src.version == 4:
        header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), ident & 0xFFFF, 0x4000,
                             TTL, proto, 0, src.packed, dst.packed)
        return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + body
    return struct.pack("!IHBB16s16s", 6 << 28, len(body), proto, TTL, src.packed, dst.packed) + body
