"""The machine's name: hostnamectl for /etc/hostname, and the /etc/hosts line that
makes `hostname -f` answer the FQDN (Debian's convention)."""

from __future__ import annotations

import ipaddress

from .files import replace_file
from .model import Identity
from .run import run
from .settings import Commands, Paths

DEBIAN_SELF = "127.0.1.1"  # Debian's address for the machine's own name without a fixed IP


def hosts_with_name(hosts: str, identity: Identity,
                    address: ipaddress.IPv4Address | None) -> str:
    """/etc/hosts naming this machine `identity` at `address` (or 127.0.1.1).

    Earlier lines for the machine's own name go; localhost lines and anything else
    the admin added stay where they were.
    """
    own = str(address) if address else DEBIAN_SELF
    names = {identity.fqdn, identity.hostname}
    kept, insert_at = [], 0
    for line in hosts.splitlines():
        fields = line.split("#", 1)[0].split()
        if fields and "localhost" not in fields[1:] and (
            fields[0] in (own, DEBIAN_SELF) or names & set(fields[1:])
        ):
            continue
        kept.append(line)
        if fields and fields[0] == "127.0.0.1":
            insert_at = len(kept)
    kept.insert(insert_at, f"{own}\t{identity.fqdn} {identity.hostname}")
    return "\n".join(kept) + "\n"


def current_fqdn(hosts: str, hostname: str) -> str | None:
    """The dotted name /etc/hosts gives `hostname` (as `hostname -f` would find it)."""
    short = hostname.split(".", 1)[0]
    for line in hosts.splitlines():
        names = line.split("#", 1)[0].split()[1:]
        if short in names or hostname in names:
            dotted = [n for n in names if "." in n and n.split(".", 1)[0] == short]
            if dotted:
                return dotted[0].lower()
    return None


def set_identity(identity: Identity, address: ipaddress.IPv4Address | None, paths: Paths,
                 commands: Commands) -> None:
    run([commands.hostnamectl, "set-hostname", identity.hostname], what="setting the host name")
    try:
        hosts = paths.hosts.read_text()
    except FileNotFoundError:
        hosts = "127.0.0.1\tlocalhost\n"
    replace_file(paths.hosts, hosts_with_name(hosts, identity, address).encode())
