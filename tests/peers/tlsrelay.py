"""A stand-in for Microsoft's SIP proxy on the TLS side, in front of SIPp.

The Debian SIPp (sip-tester 3.6.1) is built without TLS ("To use a TLS transport you must
compile SIPp with OpenSSL"), so SIPp speaks TCP and this relay does the mutual TLS, the
way Microsoft's proxies do, with the test CA's `sip.pstnhub.microsoft.com` certificate:

- inbound (SBC -> "Teams"): a TLS server that requires and verifies the SBC's client
  certificate, records the SNI the SBC sent and the names in its certificate, and pipes
  the decrypted bytes to SIPp's TCP port;
- outbound ("Teams" -> SBC): a TCP port for SIPp; each connection is carried to the
  SBC's TLS port with our client certificate, verifying the SBC's server certificate
  for its FQDN.

So SIPp checks the SIP (Contact, Via, X-MS-SBC) and this checks the TLS on both sides.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sbc.certs import tls as certs_tls


@dataclass
class Handshake:
    direction: str  # "in": the SBC connected to us; "out": we connected to the SBC
    ok: bool
    sni: str | None = None
    peer_names: list[str] = field(default_factory=list)
    error: str | None = None


class TlsRelay:
    def __init__(
        self,
        *,
        cert: Path,
        key: Path,
        ca: Path,
        tls_port: int,
        sipp_port: int,
        plain_port: int,
        sbc_tls_port: int,
        sbc_name: str,
    ) -> None:
        self.server_ctx = certs_tls.server_context(cert, key, ca)
        self.server_ctx.sni_callback = self._sni
        self.client_ctx = certs_tls.client_context(cert, key, ca)
        self.tls_port, self.sipp_port = tls_port, sipp_port
        self.plain_port, self.sbc_tls_port, self.sbc_name = plain_port, sbc_tls_port, sbc_name
        self.handshakes: list[Handshake] = []
        self._last_sni: str | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def _sni(self, sslobj: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
        self._last_sni = name

    def start(self) -> TlsRelay:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        async def close() -> None:
            for server in self._servers:
                server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.sleep(0)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _listen(self) -> None:
        self._servers.append(await asyncio.start_server(self._inbound, "127.0.0.1",
                                                        self.tls_port))
        self._servers.append(await asyncio.start_server(self._outbound, "127.0.0.1",
                                                        self.plain_port))

    def _track(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _inbound(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._track()
        try:
            await writer.start_tls(self.server_ctx, ssl_handshake_timeout=5)
        except Exception as exc:
            self.handshakes.append(Handshake("in", False, self._last_sni, error=repr(exc)))
            writer.transport.abort()
            return
        names = certs_tls.peer_names(writer.get_extra_info("peercert"))
        self.handshakes.append(Handshake("in", True, self._last_sni, names))
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.sipp_port)
        except OSError:
            writer.close()
            return
        await _pipe_both(reader, writer, up_reader, up_writer)

    async def _outbound(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._track()
        try:
            up_reader, up_writer = await asyncio.open_connection(
                "127.0.0.1", self.sbc_tls_port, ssl=self.client_ctx,
                server_hostname=self.sbc_name, ssl_handshake_timeout=5,
            )
        except Exception as exc:
            self.handshakes.append(Handshake("out", False, self.sbc_name, error=repr(exc)))
            writer.close()
            return
        names = certs_tls.peer_names(up_writer.get_extra_info("peercert"))
        self.handshakes.append(Handshake("out", True, self.sbc_name, names))
        await _pipe_both(reader, writer, up_reader, up_writer)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError, ssl.SSLError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def _pipe_both(r1: asyncio.StreamReader, w1: asyncio.StreamWriter,
                     r2: asyncio.StreamReader, w2: asyncio.StreamWriter) -> None:
    await asyncio.gather(_pipe(r1, w2), _pipe(r2, w1))


def main() -> None:
    """For the lab (examples/README.md): Teams1 on 5081 in front of a SIPp over TCP."""
    import argparse
    import signal
    import threading

    parser = argparse.ArgumentParser(description="mutual-TLS relay in front of SIPp (TCP)")
    parser.add_argument("--cert", type=Path, required=True)
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("--ca", type=Path, required=True)
    parser.add_argument("--listen", type=int, default=5081, help="TLS port the SBC calls")
    parser.add_argument("--sipp", type=int, default=15081, help="SIPp's TCP port behind it")
    parser.add_argument("--plain", type=int, default=15091,
                        help="TCP port for SIPp requests towards the SBC")
    parser.add_argument("--sbc", type=int, default=5061, help="the SBC's TLS port")
    parser.add_argument("--sbc-name", default="sbc.lab.test")
    args = parser.parse_args()
    relay = TlsRelay(cert=args.cert, key=args.key, ca=args.ca, tls_port=args.listen,
                     sipp_port=args.sipp, plain_port=args.plain, sbc_tls_port=args.sbc,
                     sbc_name=args.sbc_name).start()
    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print(f"relay: TLS :{args.listen} -> SIPp :{args.sipp}; SIPp -> :{args.plain} -> "
          f"TLS :{args.sbc} ({args.sbc_name})", flush=True)
    done.wait()
    relay.stop()
    for shake in relay.handshakes:
        print(shake)


if __name__ == "__main__":
    main()
