"""Classic libpcap file format (what tcpdump writes): a file header, then records.

Link type LINKTYPE_RAW (101): each record is an IPv4 or IPv6 packet, told apart by
its version nibble. No Ethernet header to invent, and every pcap reader handles it.
"""

from __future__ import annotations

import struct

MAGIC_MICROSECONDS = 0xA1B2C3D4
LINKTYPE_RAW = 101
SNAPLEN = 262144  # tcpdump's default
FILE_HEADER_SIZE = 24
RECORD_HEADER_SIZE = 16


def file_header(linktype: int = LINKTYPE_RAW, snaplen: int = SNAPLEN) -> bytes:
    """magic, version 2.4, thiszone 0, sigfigs 0, snaplen, network (little-endian)."""
    return struct.pack("<IHHiIII", MAGIC_MICROSECONDS, 2, 4, 0, 0, snaplen, linktype)


def record(timestamp: float, packet: bytes) -> bytes:
    """One packet record with a microsecond timestamp; packets are never truncated."""
    seconds = int(timestamp)
    micros = min(round((timestamp - seconds) * 1_000_000), 999_999)
    return struct.pack("<IIII", seconds, micros, len(packet), len(packet)) + packet
