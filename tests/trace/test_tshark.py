"""A real tshark reads a trace written by TraceControl and lists every SIP message,
including the ones that went over TLS, without any "Decode As"."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sbc.trace.control import TraceControl

pytestmark = pytest.mark.peers

SBC_V4, SBC_V6 = "10.0.0.5", "2001:db8::5"
CARRIER = ("217.0.0.10", 5060)
TEAMS = ("52.114.75.24", 40123)
LAB = ("::1", 5083)


def request(method: str, transport: str, cseq: int, body: bytes = b"") -> bytes:
    head = (
        f"{method} sip:+4930123456@sbc.example.com SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport.upper()} sbc.example.com;branch=z9hG4bK{method}{cseq}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:+4930999@sbc.example.com>;tag=f{cseq}\r\n"
        "To: <sip:+4930123456@sbc.example.com>\r\n"
        f"Call-ID: {method.lower()}-{cseq}@sbc.example.com\r\n"
        f"CSeq: {cseq} {method}\r\n"
        "Contact: <sip:sbc.example.com:5061;transport=tls>\r\n"
        + ("Content-Type: application/sdp\r\n" if body else "")
        + f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def response(code: int, reason: str, method: str, cseq: int) -> bytes:
    return (
        f"SIP/2.0 {code} {reason}\r\n"
        f"Via: SIP/2.0/TLS sbc.example.com;branch=z9hG4bK{method}{cseq}\r\n"
        f"From: <sip:+4930999@sbc.example.com>;tag=f{cseq}\r\n"
        f"To: <sip:+4930123456@sbc.example.com>;tag=t{cseq}\r\n"
        f"Call-ID: {method.lower()}-{cseq}@sbc.example.com\r\n"
        f"CSeq: {cseq} {method}\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


SDP = (
    b"v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
    b"m=audio 40000 RTP/SAVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
    + b"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + b"A" * 40 + b"\r\n"
) * 8  # big enough to span several TCP segments below


def _tshark() -> str:
    found = shutil.which("tshark")
    if found is None:
        pytest.skip("tshark not installed (tools/host-deps test installs it)")
    return found


def read_with_tshark(path: Path, *fields: str, extra: tuple[str, ...] = ()) -> list[list[str]]:
    args = [_tshark(), "-r", str(path), *extra, "-Y", "sip", "-T", "fields"]
    for field in fields:
        args += ["-e", field]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [line.split("\t") for line in done.stdout.splitlines()]


@pytest.fixture
def trace_file(tmp_path: Path) -> Path:
    path = tmp_path / "sip.pcap"
    clock = iter(1700000000.0 + i / 10 for i in range(1000))
    trace = TraceControl(clock=lambda: next(clock), max_segment=400)
    trace.start(path, include_options=True)
    sbc_udp, sbc_tls = (SBC_V4, 5060), (SBC_V4, 5061)
    # UDP to the carrier: REGISTER with challenge, OPTIONS.
    trace.record("udp", sbc_udp, CARRIER, request("REGISTER", "udp", 1))
    trace.record("udp", CARRIER, sbc_udp, response(401, "Unauthorized", "REGISTER", 1))
    trace.record("udp", sbc_udp, CARRIER, request("REGISTER", "udp", 2))
    trace.record("udp", CARRIER, sbc_udp, response(200, "OK", "REGISTER", 2))
    trace.record("udp", CARRIER, sbc_udp, request("INVITE", "udp", 3, SDP))
    # TCP: a NOTIFY from the carrier.
    trace.record("tcp", (CARRIER[0], 41000), sbc_udp, request("NOTIFY", "tcp", 4))
    trace.record("tcp", sbc_udp, (CARRIER[0], 41000), response(200, "OK", "NOTIFY", 4))
    # TLS with Teams, decrypted: OPTIONS both ways and an INVITE spanning segments.
    trace.record("tls", TEAMS, sbc_tls, request("OPTIONS", "tls", 5))
    trace.record("tls", sbc_tls, TEAMS, response(200, "OK", "OPTIONS", 5))
    trace.record("tls", sbc_tls, ("52.114.16.74", 5061), request("INVITE", "tls", 6, SDP))
    trace.record("tls", ("52.114.16.74", 5061), sbc_tls, response(100, "Trying", "INVITE", 6))
    # TLS over IPv6 on a port Wireshark has no idea about.
    trace.record("tls", (SBC_V6, 5067), LAB, request("SUBSCRIBE", "tls", 7))
    trace.stop()
    assert trace.status().messages == 12
    return path


EXPECTED = [
    ["REGISTER", "", "REGISTER"],
    ["", "401", "REGISTER"],
    ["REGISTER", "", "REGISTER"],
    ["", "200", "REGISTER"],
    ["INVITE", "", "INVITE"],
    ["NOTIFY", "", "NOTIFY"],
    ["", "200", "NOTIFY"],
    ["OPTIONS", "", "OPTIONS"],
    ["", "200", "OPTIONS"],
    ["INVITE", "", "INVITE"],
    ["", "100", "INVITE"],
    ["SUBSCRIBE", "", "SUBSCRIBE"],
]


def test_tshark_lists_every_sip_message_including_tls(trace_file: Path) -> None:
    rows = read_with_tshark(trace_file, "sip.Method", "sip.Status-Code", "sip.CSeq.method")
    assert rows == EXPECTED


def test_tls_messages_keep_their_real_addresses_and_ports(trace_file: Path) -> None:
    rows = read_with_tshark(trace_file, "tcp.srcport", "tcp.dstport", "sip.CSeq.method",
                            "ip.src", "ipv6.src")
    tls_rows = [r for r in rows if r[0] in {"5061", "5067"} or r[1] in {"5061", "5067"}]
    assert [r[:3] for r in tls_rows] == [
        ["40123", "5061", "OPTIONS"],
        ["5061", "40123", "OPTIONS"],
        ["5061", "5061", "INVITE"],
        ["5061", "5061", "INVITE"],
        ["5067", "5083", "SUBSCRIBE"],
    ]
    assert tls_rows[0][3] == TEAMS[0]
    assert tls_rows[-1][4] == SBC_V6


def test_decode_as_gives_the_same_result(trace_file: Path) -> None:
    """Admins who add Decode As tcp.port==5061 -> SIP out of habit see the same thing."""
    rows = read_with_tshark(trace_file, "sip.Method", "sip.Status-Code", "sip.CSeq.method",
                            extra=("-d", "tcp.port==5061,sip"))
    assert rows == EXPECTED


def test_no_expert_warnings_with_checksum_validation(trace_file: Path) -> None:
    """Lengths, checksums and TCP sequence numbers all add up (no 'Bad checksum',
    'previous segment not captured', 'malformed' ...)."""
    args = [
        _tshark(), "-r", str(trace_file),
        "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
        "-o", "tcp.check_checksum:TRUE",
        "-Y", "_ws.expert.severity >= 6291456 || _ws.malformed",  # warning and above
        "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message",
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


def test_reassembled_invite_carries_its_sdp(trace_file: Path) -> None:
    rows = read_with_tshark(trace_file, "sip.Method", "sdp.media.format",
                            "tcp.reassembled.length")
    tls_invite = [r for r in rows if r[0] == "INVITE"][1]
    assert tls_invite[1]  # the SDP after reassembly was decoded
    assert int(tls_invite[2]) > 400  # it really was split over segments
