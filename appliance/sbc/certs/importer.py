"""`sbc cert import`: install a signed certificate only after it has passed every check.

A certificate that Teams rejects takes the trunk down, and the admin learns it from a
"CertificateUnknown" in a trace days later. So the import refuses, naming the failed check,
in this order:

1. ``parse``     the files are PEM or DER certificates (the chain in the same file or a second);
2. ``key``       the certificate belongs to a private key on this box (the pending key of the
                 last `sbc cert csr`, else the installed key, or one given with `--key`);
3. ``chain``     leaf -> intermediates -> a root in the CA bundle, or a root given in the
                 import (then added to the admin's roots);
4. ``fqdn``      the FQDN is in the CN and in a SAN (one-label wildcard allowed);
5. ``validity``  valid now (not expired, not yet valid);
6. ``key-type``  RSA of at least 2048 bits (Teams offers only ECDHE-RSA suites);
7. ``eku``       extended key usage includes serverAuth.

The rules (and their words) are those of `assess`, which `sbc check` and `sbc run` apply to
the installed files; the import only stops at the first "fail" and turns the "warn"
findings (expiry within 30 days, no clientAuth, no EKU at all) into warnings.

clientAuth is checked too but, by default, only warned about: Microsoft has required it
since March 2024 for the SBC's outgoing connections, but public CAs are dropping clientAuth
from server certificates (Chrome root policy, 2026) and Microsoft's rule may move with them;
an admin with no other certificate available still gets the inbound leg and the carrier
working. `require_client_auth=True` (CLI `--strict-eku`) turns the warning into a refusal.

Then it writes the root to the admin's roots, installs the key (`sbc.key`, 0600) and the
leaf with its intermediates (`sbc.crt`, leaf first, in chain order, no root) as one pair
(`certs.pair`: both or neither, whenever the import is killed), and removes the pending
key. Running TLS connections still use the old certificate: the
service must reload and reconnect (AT-8).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..util.atomic import fsync_dir
from . import compat
from .assess import (
    CLIENT_AUTH_MISSING,
    Finding,
    check_chain,
    check_leaf,
    keys_match,
    only_ca_certificates,
    pick_leaf,
    raise_if_failed,
    refusal,
)
from .bundle import add_ca, build_bundle, load_bundle
from .chain import Chain, fingerprint, is_ca, is_self_signed, name_text, subject_text
from .errors import CertError
from .names import validate_fqdn
from .pair import install_pair
from .paths import SYSTEM_STORE, CertPaths
from .pem import certificates_pem, key_pem, load_certificates, load_private_key

if TYPE_CHECKING:  # names differ in cryptography 38 (PRIVATE_KEY_TYPES)
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes


@dataclass
class ImportResult:
    fqdn: str
    cert_path: Path
    key_path: Path
    subject: str
    issuer: str
    not_after: dt.datetime
    chain: list[str]  # the intermediates written after the leaf, in order
    anchor: str
    key_source: str  # "pending", "installed" or "given"
    added_roots: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # the leaf's "warn" findings

    def summary(self) -> str:
        lines = [
            f"installed {self.cert_path} for {self.fqdn}",
            f"  subject {self.subject}, issued by {self.issuer}",
            f"  valid until {self.not_after:%Y-%m-%d %H:%M} UTC",
            f"  chain sent: {' -> '.join([self.subject, *self.chain]) or '-'}"
            f" (root: {self.anchor})",
        ]
        lines += [f"  root added to the trust store: {r}" for r in self.added_roots]
        lines += [f"warning: {w}" for w in self.warnings]
        lines.append("reload the SBC so new TLS connections use it")
        return "\n".join(lines)


@dataclass
class _Key:
    source: str
    key: PrivateKeyTypes
    pem: bytes


def import_certificate(
    cert_data: bytes,
    chain_data: bytes | None = None,
    *,
    fqdn: str,
    paths: CertPaths,
    key_data: bytes | None = None,
    require_client_auth: bool = False,
    system_store: Path | None = SYSTEM_STORE,
    now: dt.datetime | None = None,
    cert_source: str = "the certificate file",
    chain_source: str = "the chain file",
) -> ImportResult:
    """Check the certificate (see the module docstring) and install it, or raise CertError."""
    when = now or compat.now_utc()
    name = validate_fqdn(fqdn)
    warnings: list[str] = []
    warned: list[Finding] = []

    # 1. parse
    certs = load_certificates(cert_data, cert_source)
    if chain_data is not None:
        certs += load_certificates(chain_data, chain_source)
    keys = _candidate_keys(paths, key_data)
    leaf = pick_leaf(certs, [k.key for k in keys])
    if leaf is None:
        raise refusal(only_ca_certificates())

    # 2. key
    key = _matching_key(leaf, keys, paths)

    # 3. chain
    chain, new_root, left_out = _chain(leaf, certs, paths, system_store, when)
    warnings += left_out

    # 4. fqdn, 5. validity (and expiry), 6. key type, 7. extended key usage
    for finding in check_leaf(leaf, name, when):
        raise_if_failed(finding)
        if finding.level == "warn":
            if require_client_auth and finding.message == CLIENT_AUTH_MISSING:
                raise refusal(finding)
            warnings.append(finding.text())
            warned.append(finding)

    result = _install(paths, leaf, chain, key, new_root, name, warnings, system_store, when)
    result.findings = warned
    return result


def _chain(
    leaf: x509.Certificate,
    certs: list[x509.Certificate],
    paths: CertPaths,
    system_store: Path | None,
    when: dt.datetime,
) -> tuple[Chain, x509.Certificate | None, list[str]]:
    """The verified chain, the root to add to the trust store (if the import brought a
    new one), and warnings for certificates left out."""
    others = [c for c in certs if fingerprint(c) != fingerprint(leaf)]
    supplied_roots = [c for c in others if is_ca(c) and is_self_signed(c)]
    intermediates = [c for c in others if c not in supplied_roots]
    if not paths.ca_bundle.exists():
        build_bundle(paths, system_store=system_store, now=when)
    bundle = load_bundle(paths.ca_bundle)
    found, chain = check_chain(
        leaf, intermediates, bundle + supplied_roots, now=when, bundle_name=str(paths.ca_bundle)
    )
    raise_if_failed(found)
    assert chain is not None  # a passed chain check has its chain
    bundle_prints = {fingerprint(c) for c in bundle}
    new_root = chain.anchor if fingerprint(chain.anchor) not in bundle_prints else None
    left_out = [
        f"left out {subject_text(c)}: not part of the chain"
        for c in chain.unused
        if c is not new_root and c not in supplied_roots
    ]
    return chain, new_root, left_out


def _candidate_keys(paths: CertPaths, key_data: bytes | None) -> list[_Key]:
    if key_data is not None:
        key = load_private_key(key_data, "the given key file")
        return [_Key("given", key, key_pem(key))]
    keys = []
    for source, path in (("pending", paths.pending_key), ("installed", paths.key)):
        if path.exists():
            data = path.read_bytes()
            keys.append(_Key(source, load_private_key(data, str(path)), data))
    return keys


def _matching_key(leaf: x509.Certificate, keys: list[_Key], paths: CertPaths) -> _Key:
    if not keys:
        raise CertError(
            f"there is no private key on this box ({paths.pending_key} or {paths.key})",
            check="key",
            hint="make the key and CSR with `sbc cert csr` and have that CSR signed, "
            "or give the key with --key",
        )
    for key in keys:
        if keys_match(leaf, key.key):
            return key
    where = " or ".join(
        {"pending": "the key of the last CSR", "installed": "the installed key",
         "given": "the given key"}[k.source]
        for k in keys
    )
    raise CertError(
        f"the certificate for {subject_text(leaf)} does not match {where}",
        check="key",
        hint="it was issued for another CSR; submit the current CSR "
        f"({paths.csr}) to the CA, or give the matching key with --key",
    )


def _install(
    paths: CertPaths,
    leaf: x509.Certificate,
    chain: Chain,
    key: _Key,
    new_root: x509.Certificate | None,
    fqdn: str,
    warnings: list[str],
    system_store: Path | None,
    when: dt.datetime,
) -> ImportResult:
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    added: list[str] = []
    if new_root is not None:
        root_pem = new_root.public_bytes(serialization.Encoding.PEM)
        added = add_ca(
            root_pem, paths, source="the import", system_store=system_store, now=when
        ).added
    install_pair(paths, certificates_pem([leaf, *chain.intermediates]), key.pem)
    if key.source == "pending":
        with contextlib.suppress(FileNotFoundError):
            paths.pending_key.unlink()
        fsync_dir(paths.data_dir)
    return ImportResult(
        fqdn=fqdn,
        cert_path=paths.cert,
        key_path=paths.key,
        subject=subject_text(leaf),
        issuer=name_text(leaf.issuer),
        not_after=compat.not_after(leaf),
        chain=[subject_text(c) for c in chain.intermediates],
        anchor=subject_text(chain.anchor),
        key_source=key.source,
        added_roots=added,
        warnings=warnings,
    )
