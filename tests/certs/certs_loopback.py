"""A one-connection TLS server on loopback, shared by the TLS and tls-check tests."""

from __future__ import annotations

import socket
import ssl
import threading
from typing import Any


class OneShotServer:
    """A TLS server on 127.0.0.1 for one connection, in a thread.

    It records the SNI name, the peer certificate, the negotiated version and cipher, or
    the error of its handshake; after the handshake it answers one read with b"pong".
    """

    def __init__(self, ctx: ssl.SSLContext, host: str = "127.0.0.1") -> None:
        self.ctx = ctx
        self.sni: list[str | None] = []
        self.error: BaseException | None = None
        self.peercert: dict[str, Any] | None = None
        self.version: str | None = None
        self.cipher: str | None = None
        ctx.sni_callback = self._on_sni
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(1)
        self.sock.settimeout(10)
        self.port: int = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _on_sni(self, _obj: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        self.sni.append(name)

    def _serve(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError as exc:
            self.error = exc
            return
        conn.settimeout(5)
        try:
            with self.ctx.wrap_socket(conn, server_side=True) as tls:
                self.peercert = tls.getpeercert()
                self.version = tls.version()
                cipher = tls.cipher()
                self.cipher = cipher[0] if cipher else None
                if tls.recv(100):
                    tls.sendall(b"pong")
        except (OSError, ssl.SSLError) as exc:
            self.error = exc
        finally:
            conn.close()

    def join(self) -> OneShotServer:
        self.thread.join(10)
        self.sock.close()
        return self
