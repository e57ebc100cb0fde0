"""Is a port the changed file asks the SBC to listen on held by another program?

`sbc check` judges a file alone; a change through `sbc config` (the web page's Save)
also meets the box it runs on: a TLS port already taken by cockpit-ws or sshd would be
saved, the reload would fail to bind, and the admin would learn it only from the log.
So only listeners that the change adds are probed, with a bind that is released at once;
the ones the file had before are the running SBC's own and are not probed.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable, Iterable

from .issues import ConfigIssue
from .model import Config, Listener

# (transport, address, port) -> None when free, else why not; injected in tests.
Probe = Callable[[Listener], str | None]


def probe_bind(listener: Listener) -> str | None:
    """Bind like the SBC's listener does (SO_REUSEADDR for TCP), then let go at once."""
    kind = socket.SOCK_DGRAM if listener.transport == "udp" else socket.SOCK_STREAM
    family = socket.AF_INET6 if listener.address.version == 6 else socket.AF_INET
    with socket.socket(family, kind) as sock:
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((str(listener.address), listener.port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return "in use"
            return None  # EACCES for a port < 1024 here: the SBC's service may bind it
    return None


def _key(listener: Listener) -> tuple[str, str, int]:
    transport = "udp" if listener.transport == "udp" else "tcp"  # TLS is a TCP port
    return transport, str(listener.address), listener.port


def busy_listeners(before: Config | None, after: Config, *,
                   probe: Probe = probe_bind) -> list[ConfigIssue]:
    """An error for each listener in `after` that `before` did not have and whose port
    another program holds, named as the loader names it (sbc.listen[2].port)."""
    held = {_key(listener) for listener in (before.sbc.listen if before else ())}
    issues = []
    for index, listener in _new(after.sbc.listen, held):
        if probe(listener) is None:
            continue
        port, what = listener.port, listener.transport.upper()
        issues.append(ConfigIssue(
            after.path, None, f"sbc.listen[{index}].port",
            f"port {port} is in use by another program on this box ({what}; "
            f"`ss -lntup 'sport = :{port}'` shows which); choose a free port"))
    return issues


def _new(listeners: Iterable[Listener],
         held: set[tuple[str, str, int]]) -> Iterable[tuple[int, Listener]]:
    for index, listener in enumerate(listeners):
        if _key(listener) not in held:
            yield index, listener
