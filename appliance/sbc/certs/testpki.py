"""A throwaway PKI for tests and loopback labs: root -> intermediate -> leaf certificates.

Made with cryptography (no openssl calls), valid from an hour ago, so TLS tests, SIPp
peers and `examples/lab.yaml` get the same shape of chain as the real Teams trunk: a
root only in the trust store, an intermediate sent in the handshake, RSA leaves with
serverAuth + clientAuth and the name in CN and SAN.

API::

    ca = LabCA("OpenSBC Test")                    # root + intermediate (RSA 2048)
    sbc = ca.issue("sbc.lab.test")                # Issued(cert, key), signed by the
    ms = ca.issue("sip.pstnhub.microsoft.com")    #   intermediate, EKU server+client
    ca.issue("x.test", client_auth=False, key_type="ec", days=-1, sans=["a.test"], ...)
    ca.sign_csr(csr)                              # x509.Certificate, as a public CA would
    ca.chain(sbc)                                 # [leaf, intermediate]
    files = ca.write(tmp_path, sbc)               # LeafFiles: cert (leaf+chain), key, leaf
    ca.write(tmp_path, sbc, chain=[])             #   ... without the intermediate
    ca.write_root(tmp_path / "ca.pem")            # the trust anchor alone

    lab = write_lab_pki(dir, ["sbc.lab.test", "sip.pstnhub.microsoft.com"])
    lab.ca_bundle, lab.leaves["sbc.lab.test"].cert, lab.leaves[...].key

From the shell: ``python -m sbc.certs.testpki DIR [NAME ...]`` writes the same files.
Never use these outside tests: the keys are unencrypted and the CA key is on disk.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..util.atomic import atomic_write
from . import compat
from .pem import key_pem

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

DEFAULT_NAMES = ("sbc.lab.test", "sip.pstnhub.microsoft.com")


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: CertificateIssuerPrivateKeyTypes

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return key_pem(self.key)


@dataclass(frozen=True)
class LeafFiles:
    cert: Path  # leaf followed by the intermediate: what a TLS endpoint loads
    key: Path  # unencrypted PKCS#8, mode 0600
    leaf: Path  # the leaf alone


@dataclass
class LabFiles:
    ca_bundle: Path  # the root alone: the trust store of both sides
    intermediate: Path
    leaves: dict[str, LeafFiles] = field(default_factory=dict)


def new_key(key_type: str = "rsa", key_size: int = 2048) -> CertificateIssuerPrivateKeyTypes:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unknown key type {key_type!r}")


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


class LabCA:
    """A root CA and one intermediate; `issue` signs leaves with the intermediate."""

    def __init__(
        self,
        organization: str = "OpenSBC Test",
        *,
        key_size: int = 2048,
        now: dt.datetime | None = None,
    ) -> None:
        self.organization = organization
        self.now = now or compat.now_utc()
        self.key_size = key_size
        self.root = self.issue_ca(f"{organization} Root CA", issuer=None)
        self.intermediate = self.issue_ca(f"{organization} Intermediate CA", issuer=self.root)

    def issue_ca(
        self,
        common_name: str,
        issuer: Issued | None,
        *,
        path_length: int | None = None,
        days: int = 3650,
        key_usage: bool = True,
        ca: bool = True,
        key_type: str = "rsa",
    ) -> Issued:
        """A CA certificate; self-signed when `issuer` is None."""
        key = new_key(key_type, self.key_size)
        subject = _name(common_name, self.organization)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.cert.subject if issuer else subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - dt.timedelta(days=1))
            .not_valid_after(self.now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        )
        if key_usage:
            builder = builder.add_extension(_key_usage(ca=True), critical=True)
        signer = issuer.key if issuer else key
        return Issued(builder.sign(signer, hashes.SHA256()), key)

    def issue(
        self,
        common_name: str,
        *,
        sans: Sequence[str] | None = None,
        ip_sans: Sequence[str] = (),
        server_auth: bool = True,
        client_auth: bool = True,
        eku: bool = True,
        key: CertificateIssuerPrivateKeyTypes | None = None,
        key_type: str = "rsa",
        key_size: int | None = None,
        days: int = 365,
        not_before: dt.datetime | None = None,
        issuer: Issued | None = None,
    ) -> Issued:
        """A leaf for `common_name` (also its only DNS SAN unless `sans` is given).

        `days` counts from now (negative: already expired); `issuer` defaults to the
        intermediate; `key` reuses a key (e.g. the one behind a CSR).
        """
        key = key or new_key(key_type, key_size or self.key_size)
        signer = issuer or self.intermediate
        start = not_before or self.now - dt.timedelta(hours=1)
        end = self.now + dt.timedelta(days=days)
        if end <= start:
            start = end - dt.timedelta(days=30)
        names: list[x509.GeneralName] = [
            x509.DNSName(n) for n in (sans if sans is not None else [common_name])
        ]
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_sans]
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name, self.organization))
            .issuer_name(signer.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(ca=False), critical=True)
        )
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        usages = [ExtendedKeyUsageOID.SERVER_AUTH] if server_auth else []
        usages += [ExtendedKeyUsageOID.CLIENT_AUTH] if client_auth else []
        if eku:
            builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        return Issued(builder.sign(signer.key, hashes.SHA256()), key)

    def sign_csr(
        self, csr: x509.CertificateSigningRequest, *, days: int = 365
    ) -> x509.Certificate:
        """Sign a CSR as a public CA would: its subject and its extensions, our issuer."""
        builder = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.intermediate.cert.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - dt.timedelta(hours=1))
            .not_valid_after(self.now + dt.timedelta(days=days))
        )
        for extension in csr.extensions:
            builder = builder.add_extension(extension.value, extension.critical)
        return builder.sign(self.intermediate.key, hashes.SHA256())

    def chain(self, leaf: Issued) -> list[x509.Certificate]:
        """`leaf` and the intermediate: what a TLS endpoint sends."""
        return [leaf.cert, self.intermediate.cert]

    def write(
        self,
        directory: Path,
        leaf: Issued,
        stem: str | None = None,
        *,
        chain: Sequence[x509.Certificate] | None = None,
    ) -> LeafFiles:
        """Write `<stem>.crt` (leaf + intermediate), `<stem>.key`, `<stem>.leaf.pem`.

        `chain` replaces what follows the leaf in `<stem>.crt` (a missing intermediate:
        `[]`, a wrong order, an extra certificate), for tests of the installed files.
        """
        stem = stem or _common_name(leaf.cert)
        directory.mkdir(parents=True, exist_ok=True)
        files = LeafFiles(
            cert=directory / f"{stem}.crt",
            key=directory / f"{stem}.key",
            leaf=directory / f"{stem}.leaf.pem",
        )
        pem = serialization.Encoding.PEM
        certs = self.chain(leaf) if chain is None else [leaf.cert, *chain]
        atomic_write(files.cert, b"".join(c.public_bytes(pem) for c in certs))
        atomic_write(files.key, leaf.key_pem, mode=0o600)
        atomic_write(files.leaf, leaf.cert_pem)
        return files

    def write_root(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, self.root.cert_pem)
        return path


def _common_name(cert: x509.Certificate) -> str:
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def write_lab_pki(
    directory: Path, names: Sequence[str] = DEFAULT_NAMES, *, ca: LabCA | None = None
) -> LabFiles:
    """A CA and one leaf per name in `directory`: ca.pem, intermediate.pem, NAME.crt/.key."""
    ca = ca or LabCA()
    files = LabFiles(
        ca_bundle=ca.write_root(directory / "ca.pem"),
        intermediate=directory / "intermediate.pem",
    )
    atomic_write(files.intermediate, ca.intermediate.cert_pem)
    for name in names:
        files.leaves[name] = ca.write(directory, ca.issue(name))
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sbc.certs.testpki", description="Write a throwaway lab PKI."
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("names", nargs="*", default=list(DEFAULT_NAMES))
    args = parser.parse_args(argv)
    lab = write_lab_pki(args.directory, args.names)
    print(f"trust store: {lab.ca_bundle}")
    for name, leaf in lab.leaves.items():
        print(f"{name}: {leaf.cert} {leaf.key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
