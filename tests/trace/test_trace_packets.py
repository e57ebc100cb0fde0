"""Synthetic headers and the pcap container."""

from __future__ import annotations

import ipaddress
import struct

import pytest
from sbc.trace import packets, pcap
from tracetest_pcap import parse_ip

V4A, V4B = ipaddress.IPv4Address("192.0.2.1"), ipaddress.IPv4Address("198.51.100.2")
V6A, V6B = ipaddress.IPv6Address("2001:db8::1"), ipaddress.IPv6Address("2001:db8::2")


def test_rfc1071_example() -> None:
    # RFC 1071 §3: the sum of 0001 f203 f4f5 f6f7 is ddf2; the checksum is its complement.
    assert packets.checksum(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D
    assert packets.checksum(b"\x01") == packets.checksum(b"\x01\x00")


@pytest.mark.parametrize(("src", "dst"), [(V4A, V4B), (V6A, V6B)])
def test_udp_packet_round_trip(src: packets.IPAddress, dst: packets.IPAddress) -> None:
    body = packets.udp_datagram(src, dst, 5060, 5080, b"OPTIONS sip:x SIP/2.0\r\n\r\n")
    packet = parse_ip(0, packets.ip_packet(src, dst, packets.PROTO_UDP, body, ident=7))
    assert (packet.proto, packet.src, packet.sport, packet.dst, packet.dport) == (
        "udp", str(src), 5060, str(dst), 5080)
    assert packet.payload == b"OPTIONS sip:x SIP/2.0\r\n\r\n"


@pytest.mark.parametrize(("src", "dst"), [(V4A, V4B), (V6A, V6B)])
def test_tcp_packet_round_trip(src: packets.IPAddress, dst: packets.IPAddress) -> None:
    body = packets.tcp_segment(src, dst, 40000, 5061, 2**32 + 5, 99, b"odd length!")
    packet = parse_ip(0, packets.ip_packet(src, dst, packets.PROTO_TCP, body))
    assert (packet.seq, packet.ack, packet.flags) == (5, 99, packets.TCP_PSH | packets.TCP_ACK)
    assert packet.payload == b"odd length!"


def test_ipv4_header_fields() -> None:
    packet = packets.ip_packet(V4A, V4B, packets.PROTO_UDP, b"x" * 8, ident=0x1234)
    version_ihl, _, total, ident, frag, ttl, proto = struct.unpack_from("!BBHHHBB", packet)
    assert (version_ihl, total, ident, frag, ttl, proto) == (0x45, 28, 0x1234, 0x4000, 64, 17)


def test_families_must_match() -> None:
    with pytest.raises(ValueError, match="families"):
        packets.ip_packet(V4A, V6B, packets.PROTO_UDP, b"")


def test_pcap_file_header() -> None:
    assert pcap.file_header() == struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 101)


def test_pcap_record_timestamp() -> None:
    expected = struct.pack("<IIII", 1700000000, 250000, 3, 3) + b"abc"
    assert pcap.record(1700000000.25, b"abc") == expected
    sec, usec = struct.unpack_from("<II", pcap.record(5.9999999, b""))
    assert (sec, usec) == (5, 999999)
