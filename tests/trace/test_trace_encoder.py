"""The pcap encoder: addresses, per-flow TCP sequence numbers, segmentation."""

from __future__ import annotations

import pytest
from sbc.trace.encoder import PcapEncoder, parse_ip
from sbc.trace.packets import TCP_ACK, TCP_PSH
from tracetest_pcap import Packet, read_pcap

SBC, TEAMS = ("10.0.0.5", 5061), ("52.114.1.1", 40123)


def packets_of(encoder: PcapEncoder, *chunks: bytes) -> list[Packet]:
    linktype, packets = read_pcap(encoder.file_header() + b"".join(chunks))
    assert linktype == 101
    return packets


def test_udp_message() -> None:
    enc = PcapEncoder()
    (p,) = packets_of(enc, enc.encode("udp", ("192.0.2.1", 5060), ("192.0.2.2", 5080),
                                      b"REGISTER sip:x SIP/2.0\r\n\r\n", 1700000000.5))
    assert (p.proto, p.src, p.sport, p.dst, p.dport, p.ts) == (
        "udp", "192.0.2.1", 5060, "192.0.2.2", 5080, 1700000000.5)
    assert p.payload == b"REGISTER sip:x SIP/2.0\r\n\r\n"


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_tcp_sequence_numbers_continue_per_flow(transport: str) -> None:
    enc = PcapEncoder()
    a = enc.encode(transport, TEAMS, SBC, b"OPTIONS one", 1.0)  # type: ignore[arg-type]
    b = enc.encode(transport, SBC, TEAMS, b"SIP/2.0 200 OK", 1.1)  # type: ignore[arg-type]
    c = enc.encode(transport, TEAMS, SBC, b"OPTIONS two", 2.0)  # type: ignore[arg-type]
    p1, p2, p3 = packets_of(enc, a, b, c)
    assert (p1.sport, p1.dport) == (40123, 5061)  # real ports, also for TLS
    assert p1.flags == TCP_PSH | TCP_ACK
    assert p3.seq == (p1.seq + len(b"OPTIONS one")) & 0xFFFFFFFF
    assert p2.ack == p3.seq  # the reply acknowledges everything sent so far
    assert p3.ack == (p2.seq + len(b"SIP/2.0 200 OK")) & 0xFFFFFFFF
    assert p1.seq != p2.seq  # distinct initial sequence numbers per direction


def test_other_flows_have_their_own_numbers() -> None:
    enc = PcapEncoder()
    p1, p2 = packets_of(enc, enc.encode("tcp", ("192.0.2.1", 1000), SBC, b"x", 0),
                        enc.encode("tcp", ("192.0.2.1", 1001), SBC, b"x", 0))
    assert p1.seq != p2.seq


def test_large_message_is_split_into_consecutive_segments() -> None:
    enc = PcapEncoder(max_segment=100)
    data = bytes(range(256)) * 2
    segs = packets_of(enc, enc.encode("tls", TEAMS, SBC, data, 3.0))
    assert [len(s.payload) for s in segs] == [100, 100, 100, 100, 100, 12]
    assert b"".join(s.payload for s in segs) == data
    assert [s.seq - segs[0].seq for s in segs] == [0, 100, 200, 300, 400, 500]


def test_ipv6_and_socket_address_forms() -> None:
    enc = PcapEncoder()
    p1, p2, p3 = packets_of(
        enc,
        enc.encode("udp", ("fe80::1%eth0", 5060), ("fe80::2", 5060), b"x", 0),
        enc.encode("udp", ("::ffff:192.0.2.1", 5060), ("192.0.2.2", 5060), b"x", 0),
        enc.encode("tcp", ("2001:db8::1", 5061), ("192.0.2.2", 40000), b"x", 0),
    )
    assert (p1.src, p1.dst) == ("fe80::1", "fe80::2")
    assert (p2.src, p2.dst) == ("192.0.2.1", "192.0.2.2")  # v4-mapped shown as IPv4
    assert (p3.src, p3.dst) == ("2001:db8::1", "::ffff:c000:202")  # mixed: both IPv6


def test_flow_memory_is_bounded() -> None:
    enc = PcapEncoder(max_flows=4)
    for port in range(1000, 1100):
        enc.encode("tcp", ("192.0.2.1", port), SBC, b"x", 0)
    assert len(enc._next_seq) <= 4


def test_our_misuse_raises_value_error() -> None:
    enc = PcapEncoder()
    with pytest.raises(ValueError):
        enc.encode("sctp", SBC, TEAMS, b"x", 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        enc.encode("udp", ("sbc.example.com", 5060), TEAMS, b"x", 0)
    with pytest.raises(ValueError):
        PcapEncoder(max_segment=0)
    assert str(parse_ip("::ffff:10.1.2.3")) == "10.1.2.3"
