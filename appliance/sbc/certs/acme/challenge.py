"""The HTTP-01 answer (RFC 8555 §8.3): a tiny HTTP server that runs only while the CA
validates, serving the key authorizations under /.well-known/acme-challenge/ and a 404
for anything else. It runs in a thread of the `sbc cert acme` command, never as a
service, so nothing listens on port 80 the rest of the time.
"""

from __future__ import annotations

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

PREFIX = "/.well-known/acme-challenge/"
log = logging.getLogger(__name__)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    answers: dict[str, bytes]
    served: list[str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "OpenSBC-ACME"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = self.server.answers.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.server.served.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.info("HTTP-01 %s: " + format, self.client_address[0], *args)


class ChallengeServer:
    """`with ChallengeServer(port) as srv: srv.add(path, validation)` serves until exit."""

    def __init__(self, port: int, address: str = "") -> None:
        self.port = port
        self.address = address  # "" = every IPv4 and IPv6 address
        self.answers: dict[str, bytes] = {}
        self.served: list[str] = []  # paths the CA fetched (tests, the log)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def add(self, path: str, validation: str) -> None:
        """Serve `validation` at `path` (/.well-known/acme-challenge/<token>)."""
        if not path.startswith(PREFIX):
            raise ValueError(f"not an HTTP-01 path: {path}")
        self.answers[path] = validation.encode("ascii")

    def __enter__(self) -> ChallengeServer:
        dual = not self.address and socket.has_dualstack_ipv6()
        server_class = _DualStack if dual else _Server
        server = server_class(("::" if dual else self.address, self.port), _Handler)
        server.answers, server.served = self.answers, self.served
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="acme-http-01",
                                        kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None


class _DualStack(_Server):
    address_family = socket.AF_INET6

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()
