"""SIP messages in, pcap records out: the sans-IO heart of the trace.

Messages that went over TCP or TLS become TCP segments with PSH|ACK and per-flow
sequence numbers that continue from message to message, so Wireshark follows the
stream and reassembles a message split over several segments. There is no synthetic
handshake: the capture simply starts mid-connection, as a real one often does.

TLS messages keep their real ports (usually 5061). Wireshark hands port 5061 to its
TLS dissector, which finds no TLS record in plain SIP and gives up; the SIP heuristic
for TCP then claims the segment, so SIP shows without any "Decode As" (checked with
tshark 4.0 in tests/trace/test_tshark.py, also for a TLS port other than 5061).
"""

from __future__ import annotations

import ipaddress
import zlib
from collections import OrderedDict
from typing import Literal

from . import packets, pcap
from .packets import IPAddress

Transport = Literal["udp", "tcp", "tls"]
TRANSPORTS: tuple[Transport, ...] = ("udp", "tcp", "tls")

#: Payload per synthetic TCP segment. One message normally fits in one segment.
DEFAULT_MAX_SEGMENT = 32768
#: Flows whose sequence numbers we remember (least recently used go first).
DEFAULT_MAX_FLOWS = 4096

FlowKey = tuple[IPAddress, int, IPAddress, int]


def parse_ip(host: str) -> IPAddress:
    """An address as sockets report it: '192.0.2.1', '::1', 'fe80::1%eth0', '::ffff:1.2.3.4'."""
    address = ipaddress.ip_address(host.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _same_family(src: IPAddress, dst: IPAddress) -> tuple[IPAddress, IPAddress]:
    if src.version == dst.version:
        return src, dst
    # A dual-stack socket talking to an IPv4 peer: show both as IPv6.
    def six(a: IPAddress) -> IPAddress:
        return a if a.version == 6 else ipaddress.IPv6Address(f"::ffff:{a}")
    return six(src), six(dst)


class PcapEncoder:
    """Turns each traced message into pcap record bytes; remembers TCP sequence numbers."""

    def __init__(
        self,
        *,
        max_segment: int = DEFAULT_MAX_SEGMENT,
        max_flows: int = DEFAULT_MAX_FLOWS,
    ) -> None:
        if not 1 <= max_segment <= packets.MAX_TCP_PAYLOAD:
            raise ValueError(f"max_segment must be 1..{packets.MAX_TCP_PAYLOAD}")
        self._max_segment = max_segment
        self._max_flows = max_flows
        self._next_seq: OrderedDict[FlowKey, int] = OrderedDict()
        self._ident = 0

    @staticmethod
    def file_header() -> bytes:
        return pcap.file_header(pcap.LINKTYPE_RAW)

    def encode(
        self,
        transport: Transport,
        src: tuple[str, int],
        dst: tuple[str, int],
        data: bytes,
        timestamp: float,
    ) -> bytes:
        """The pcap records for one message sent from `src` to `dst`."""
        if transport not in TRANSPORTS:
            raise ValueError(f"unknown transport {transport!r}")
        src_ip, dst_ip = _same_family(parse_ip(src[0]), parse_ip(dst[0]))
        sport, dport = int(src[1]), int(dst[1])
        if transport == "udp":
            body = packets.udp_datagram(src_ip, dst_ip, sport, dport,
                                        data[: packets.MAX_UDP_PAYLOAD])
            return pcap.record(timestamp, self._ip(src_ip, dst_ip, packets.PROTO_UDP, body))
        out = []
        for start in range(0, max(len(data), 1), self._max_segment):
            chunk = data[start : start + self._max_segment]
            seq = self._advance((src_ip, sport, dst_ip, dport), len(chunk))
            ack = self._peek((dst_ip, dport, src_ip, sport))
            body = packets.tcp_segment(src_ip, dst_ip, sport, dport, seq, ack, chunk)
            out.append(pcap.record(timestamp, self._ip(src_ip, dst_ip, packets.PROTO_TCP, body)))
        return b"".join(out)

    def _ip(self, src: IPAddress, dst: IPAddress, proto: int, body: bytes) -> bytes:
        self._ident = (self._ident + 1) & 0xFFFF
        return packets.ip_packet(src, dst, proto, body, self._ident)

    def _peek(self, key: FlowKey) -> int:
        """The next sequence number of a flow, starting it if new."""
        seq = self._next_seq.get(key)
        if seq is None:
            # A fixed function of the flow: plausible, distinct per flow, reproducible.
            seq = zlib.crc32(repr(key).encode())
            self._next_seq[key] = seq
            while len(self._next_seq) > self._max_flows:
                self._next_seq.popitem(last=False)
        else:
            self._next_seq.move_to_end(key)
        return seq

    def _advance(self, key: FlowKey, length: int) -> int:
        seq = self._peek(key)
        self._next_seq[key] = (seq + length) & 0xFFFFFFFF
        return seq
