"""The web console's TLS certificate, made for this machine's name and address.

Cockpit makes its own self-signed certificate for whatever the host was called when
it first started (here: "opensbc", before the wizard ran). The wizard puts one next
to it for the FQDN and the address the admin will type, which Cockpit prefers
because it picks the last *.cert in ws-certs.d in alphabetical order.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .files import replace_file
from .model import Identity
from .run import CommandError, run
from .settings import Commands, Paths

CERT_NAME = "50-opensbc"  # sorts after Cockpit's 0-self-signed.cert
VALID_DAYS = 3650  # self-signed: browsers warn anyway; it must not expire under the admin


def make_certificate(identity: Identity, addresses: Sequence[ipaddress.IPv4Address],
                     now: datetime.datetime) -> tuple[bytes, bytes]:
    """(certificate PEM, private key PEM) for `identity`, its short name and addresses."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity.fqdn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OpenSBC")])
    alt_names: list[x509.GeneralName] = [x509.DNSName(identity.fqdn),
                                         x509.DNSName(identity.hostname)]
    alt_names += [x509.IPAddress(address) for address in addresses]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def install_certificate(identity: Identity, addresses: Sequence[ipaddress.IPv4Address],
                        paths: Paths, commands: Commands) -> str | None:
    """Write the pair into ws-certs.d and restart Cockpit if it runs; a problem is
    returned as text (the console login still works without the web console)."""
    now = datetime.datetime.now(datetime.UTC)
    cert, key = make_certificate(identity, addresses, now)
    paths.cockpit_certs.mkdir(parents=True, exist_ok=True)
    replace_file(paths.cockpit_certs / f"{CERT_NAME}.key", key, 0o600)
    replace_file(paths.cockpit_certs / f"{CERT_NAME}.cert", cert, 0o644)
    try:
        run([commands.systemctl, "try-restart", "cockpit.service"],
            what="restarting the web console")
    except CommandError as exc:
        return str(exc)
    return None
