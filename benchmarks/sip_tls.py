"""Mutual-TLS OPTIONS load client and idle-connection holder (asyncio, its own process).

Debian's SIPp (sip-tester 3.6.1) is built without TLS ("To use a TLS transport you must
compile SIPp with OpenSSL"), so the TLS figures come from this client, the same for the
SBC and for Kamailio. It presents a client certificate with its chain (the SBC requires
and verifies one), verifies the server's certificate for `--name`, and speaks TLS 1.2 or
newer (whatever both sides prefer: TLS 1.3 with OpenSSL 3).

    python -m benchmarks.sip_tls load --port P --cert C --key K --ca CA --name N \
        --connections 4 --rate 2000 --secs 5
        -> one JSON line when sending starts ({"event": "sending"}), one with the result
    python -m benchmarks.sip_tls hold --port P ... --connections 200
        -> opens the connections (at most 32 handshakes at a time), sends one OPTIONS on
           each and waits for its 200, prints {"event": "ready", ...}, then holds them
           idle until stdin closes (or --max-hold seconds), and closes them

`load` sends OPTIONS at a steady rate spread round-robin over persistent connections
(each one's share written in one batch per millisecond tick), matches each answer to its
request by CSeq number, and reports sent, answered with 200, failed (another status, or
no answer within `--grace` s after the last send), late (answered after 500 ms: what
would have been a retransmission over UDP), the achieved send rate and response times.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import ssl
import sys
import time
from dataclasses import asdict, dataclass, field

LATE_S = 0.5
CSEQ = re.compile(rb"\r\n(?:CSeq|cseq|CSEQ)[ \t]*:[ \t]*(\d+)", re.I)
CLEN = re.compile(rb"\r\n(?:Content-Length|l)[ \t]*:[ \t]*(\d+)", re.I)

TEMPLATE = (
    "OPTIONS sip:{host}:{port};transport=tls SIP/2.0\r\n"
    "Via: SIP/2.0/TLS {lhost}:{lport};branch=z9hG4bK-{tag}-%d;rport\r\n"
    "From: <sip:bench@{lhost}:{lport}>;tag={tag}-%d\r\n"
    "To: <sip:{host}:{port}>\r\n"
    "Call-ID: {tag}-%d@{lhost}\r\n"
    "CSeq: %d OPTIONS\r\n"
    "Contact: <sip:bench@{lhost}:{lport};transport=tls>\r\n"
    "Max-Forwards: 70\r\n"
    "Accept: application/sdp\r\n"
    "Content-Length: 0\r\n\r\n"
)


@dataclass
class Result:
    target: int = 0
    connections: int = 0
    sent: int = 0
    ok: int = 0
    failed: int = 0
    late: int = 0
    achieved: float = 0.0
    send_secs: float = 0.0
    rtt_mean_ms: float = 0.0
    rtt_p50_ms: float = 0.0
    rtt_p99_ms: float = 0.0
    cpu_s: float = 0.0
    tls: str = ""
    error: str = ""
    statuses: dict[str, int] = field(default_factory=dict)


class Tracker:
    """Send times by CSeq number, and what came back."""

    def __init__(self) -> None:
        self.sent_at: dict[int, float] = {}
        self.rtts: list[float] = []
        self.ok = 0
        self.other: dict[str, int] = {}
        self.waiters: dict[int, asyncio.Future[int]] = {}

    def answered(self, status: int, seq: int, now: float) -> None:
        start = self.sent_at.pop(seq, None)
        if start is None:
            return  # a duplicate or an unknown answer
        self.rtts.append(now - start)
        if status == 200:
            self.ok += 1
        else:
            self.other[str(status)] = self.other.get(str(status), 0) + 1
        waiter = self.waiters.pop(seq, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(status)


class Client(asyncio.Protocol):
    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.get_running_loop().create_future()
        self.template = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(exc)

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        now = time.monotonic()
        pos = 0
        while True:
            end = buf.find(b"\r\n\r\n", pos)
            if end < 0:
                break
            head = bytes(buf[pos:end + 2])
            m = CLEN.search(head)
            total = end + 4 + (int(m.group(1)) if m else 0)
            if total > len(buf):
                break
            pos = total
            if head.startswith(b"\r\n"):  # keep-alive pong before a message
                head = head.lstrip(b"\r\n")
            if not head.startswith(b"SIP/2.0 "):
                continue
            seq = CSEQ.search(head)
            if seq is not None:
                self.tracker.answered(int(head[8:11]), int(seq.group(1)), now)
        if pos:
            del buf[:pos]

    def write(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)


def client_context(cert: str, key: str, ca: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)  # the leaf and the intermediate: the full chain is sent
    return ctx


async def connect(args: argparse.Namespace, ctx: ssl.SSLContext, tracker: Tracker) -> Client:
    loop = asyncio.get_running_loop()
    _, proto = await asyncio.wait_for(
        loop.create_connection(lambda: Client(tracker), args.host, args.port, ssl=ctx,
                               server_hostname=args.name),
        timeout=args.connect_timeout,
    )
    transport = proto.transport
    assert transport is not None
    lhost, lport = transport.get_extra_info("sockname")[:2]
    tag = f"b{os.getpid()}x{lport}"
    proto.template = TEMPLATE.format(host=args.host, port=args.port, lhost=lhost,
                                     lport=lport, tag=tag).encode()
    return proto


def _tls_version(proto: Client) -> str:
    obj = proto.transport.get_extra_info("ssl_object") if proto.transport else None
    if obj is None:
        return ""
    cipher = obj.cipher()
    return f"{obj.version()} {cipher[0] if cipher else ''}".strip()


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_load(args: argparse.Namespace) -> Result:
    ctx = client_context(args.cert, args.key, args.ca)
    tracker = Tracker()
    result = Result(target=args.rate, connections=args.connections)
    try:
        conns = list(await asyncio.gather(*(connect(args, ctx, tracker)
                                            for _ in range(args.connections))))
    except (OSError, ssl.SSLError, TimeoutError) as exc:
        result.error = f"connect: {exc}"
        return result
    result.tls = _tls_version(conns[0])
    total = max(1, int(args.rate * args.secs))
    count = len(conns)
    print(json.dumps({"event": "sending"}), flush=True)
    cpu0 = _cpu_s()
    start = time.monotonic()
    seq = 0
    sent_at = tracker.sent_at
    hard_stop = start + args.secs * 3 + 5  # a starved client gives up (rate then fails)
    while seq < total:
        now = time.monotonic()
        if now > hard_stop:
            break
        due = min(total, int((now - start) * args.rate) + 1)
        if due > seq:
            batches: list[list[bytes]] = [[] for _ in range(count)]
            for i in range(seq + 1, due + 1):
                proto = conns[i % count]
                batches[i % count].append(proto.template % (i, i, i, i))
                sent_at[i] = now
            for proto, batch in zip(conns, batches, strict=True):
                if batch:
                    proto.write(b"".join(batch))
            seq = due
        await asyncio.sleep(0.001)
    send_end = time.monotonic()
    result.sent = seq
    result.send_secs = send_end - start
    result.achieved = seq / result.send_secs if result.send_secs > 0 else 0.0
    grace_end = send_end + args.grace
    while sent_at and time.monotonic() < grace_end:
        await asyncio.sleep(0.01)
    result.cpu_s = _cpu_s() - cpu0
    result.ok = tracker.ok
    result.failed = result.sent - tracker.ok
    result.late = sum(1 for r in tracker.rtts if r > LATE_S)
    result.statuses = tracker.other
    if tracker.rtts:
        result.rtt_mean_ms = 1000 * sum(tracker.rtts) / len(tracker.rtts)
        result.rtt_p50_ms = 1000 * _percentile(tracker.rtts, 0.5)
        result.rtt_p99_ms = 1000 * _percentile(tracker.rtts, 0.99)
    for proto in conns:
        if proto.transport is not None:
            proto.transport.close()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(p.closed for p in conns)), 2)
    return result


async def run_hold(args: argparse.Namespace) -> int:
    ctx = client_context(args.cert, args.key, args.ca)
    tracker = Tracker()
    gate = asyncio.Semaphore(32)
    loop = asyncio.get_running_loop()
    start = time.monotonic()
    errors: dict[str, int] = {}

    async def one(index: int) -> Client | None:
        async with gate:
            try:
                proto = await connect(args, ctx, tracker)
            except (OSError, ssl.SSLError, TimeoutError) as exc:
                key = type(exc).__name__
                errors[key] = errors.get(key, 0) + 1
                return None
        seq = index + 1
        waiter: asyncio.Future[int] = loop.create_future()
        tracker.waiters[seq] = waiter
        tracker.sent_at[seq] = time.monotonic()
        proto.write(proto.template % (seq, seq, seq, seq))
        try:
            status = await asyncio.wait_for(waiter, args.connect_timeout)
        except TimeoutError:
            errors["no answer"] = errors.get("no answer", 0) + 1
            return proto
        if status != 200:
            errors[f"status {status}"] = errors.get(f"status {status}", 0) + 1
        return proto

    found = await asyncio.gather(*(one(i) for i in range(args.connections)))
    conns = [p for p in found if p is not None]
    open_now = sum(1 for p in conns if not p.closed.done())
    print(json.dumps({"event": "ready", "open": open_now, "answered": tracker.ok,
                      "errors": errors, "secs": round(time.monotonic() - start, 2)}),
          flush=True)
    eof = asyncio.Event()

    def readable() -> None:
        try:
            data = os.read(sys.stdin.fileno(), 4096)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(sys.stdin.fileno())
            eof.set()

    loop.add_reader(sys.stdin.fileno(), readable)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(eof.wait(), args.max_hold)
    still = sum(1 for p in conns if not p.closed.done())
    for proto in conns:
        if proto.transport is not None:
            proto.transport.close()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(p.closed for p in conns)), 5)
    print(json.dumps({"event": "closed", "open_until_end": still}), flush=True)
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sip_tls")
    parser.add_argument("mode", choices=("load", "hold"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--name", required=True, help="the server certificate's name")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--secs", type=float, default=5.0)
    parser.add_argument("--grace", type=float, default=5.0)
    parser.add_argument("--connect-timeout", type=float, default=15.0)
    parser.add_argument("--max-hold", type=float, default=120.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.mode == "hold":
        return asyncio.run(run_hold(args))
    result = asyncio.run(run_load(args))
    print(json.dumps({"event": "result", **asdict(result)}), flush=True)
    return 0 if not result.error else 1


if __name__ == "__main__":
    sys.exit(main())
