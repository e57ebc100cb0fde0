"""TLS for the transports: the two contexts (from `sbc.certs.tls`) and plain-words reasons.

Incoming connections get `server`: TLS 1.2 minimum, a client certificate required and
verified against the CA bundle. Outgoing ones get `client`: our certificate with its full
chain, the server verified against the bundle for the connection's host name, which is
also sent as SNI. Both are rebuilt on reload, so a new certificate is used by every new
connection (`TransportManager.close_tls` drains the old ones).
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from asyncio import sslproto
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from ..certs import tls as certs_tls

# asyncio reads a TLS connection's socket into a buffer of SSLProtocol.max_size, made and
# zero-filled per connection: 256 KiB in Python 3.11, though one TLS record is at most
# 16 KiB of data plus its header and MAC. Teams keeps several connections open all the
# time, and a busy SBC hundreds: 18 KiB is enough for a whole record per read.
TLS_READ_BUFFER = 18 * 1024


def limit_tls_read_buffer(size: int = TLS_READ_BUFFER) -> None:
    """Make asyncio's per-connection TLS read buffer `size` bytes (for every TLS
    connection opened from now on in this process; the transports call it)."""
    sslproto.SSLProtocol.max_size = size


class _HeldStreamProtocol(asyncio.StreamReaderProtocol):
    """A stream protocol that reads nothing until TLS is started on it.

    The SBC checks a connection's source before it spends a handshake on it, so the
    handshake starts in the connection's task, after `connection_made`. A ClientHello
    read before then lands in the stream's buffer, out of the TLS layer's reach, and the
    handshake stalls until its timeout (seen under load on uvloop, which starts reading
    a new connection at once). So the reads wait; `loop.start_tls` resumes them once the
    TLS layer is in place. asyncio's own loop registers the reader just after
    `connection_made` whatever the pause said, and reads one iteration later: its pause
    comes in that next iteration, ahead of any read (a no-op when `start_tls` already
    ran)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        assert isinstance(transport, asyncio.ReadTransport)
        if type(transport).__module__.startswith("uvloop"):
            transport.pause_reading()
        else:
            asyncio.get_running_loop().call_soon(transport.pause_reading)


async def start_held_server(
    callback: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
    host: str, port: int,
) -> asyncio.Server:
    """`asyncio.start_server` for a TLS listener whose callback calls `start_tls`."""
    loop = asyncio.get_running_loop()

    def factory() -> asyncio.StreamReaderProtocol:
        return _HeldStreamProtocol(asyncio.StreamReader(loop=loop), callback, loop=loop)

    return await loop.create_server(factory, host, port, reuse_address=True)


@dataclass(frozen=True)
class TlsContexts:
    server: ssl.SSLContext
    client: ssl.SSLContext
    fingerprint: str  # of the certificate file: a change means "drain old connections"

    @classmethod
    def load(cls, cert: Path, key: Path, ca_bundle: Path) -> TlsContexts:
        """Raises `sbc.certs.CertError` with a hint when a file is missing or unusable."""
        server = certs_tls.server_context(cert, key, ca_bundle)
        client = certs_tls.client_context(cert, key, ca_bundle)
        digest = hashlib.sha256(cert.read_bytes() + b"\0" + key.read_bytes()).hexdigest()
        return cls(server, client, digest)


def handshake_reason(exc: BaseException) -> str:
    """A short reason for a failed handshake, for syslog."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or str(exc)
        words = reason.replace("_", " ").lower()
        if "certificate required" in words or "peer did not return a certificate" in words:
            return "no client certificate (mutual TLS requires one)"
        if "unknown ca" in words:
            return "the peer does not trust our certificate (unknown CA)"
        if "http request" in words:
            return "not TLS: the peer sent an HTTP request"
        if "wrong version" in words or "unsupported protocol" in words:
            return f"protocol mismatch ({words}); TLS 1.2 or newer is required"
        return words
    if isinstance(exc, TimeoutError):
        return "handshake timed out"
    if isinstance(exc, ConnectionResetError | BrokenPipeError | EOFError):
        return "connection closed during the handshake"
    return f"{type(exc).__name__}: {exc}"
