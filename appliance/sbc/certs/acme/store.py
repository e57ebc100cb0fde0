"""What ACME keeps in the data folder (`/data/acme`), so it survives reboots and upgrades.

    account.key     the ACME account's private key (0600); the CA knows us by it
    account.json    {"directory", "uri"}: the account URL at that CA
    state.json      the last attempt and its result, the CA's own error message, failures
                    in a row and when to try again (backoff), the last expiry alert
    rejected/<stamp>/sbc.crt, sbc.key, reason.txt
                    a certificate the CA issued but a check refused, for the admin to see
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ...util.atomic import atomic_write
from ..paths import CertPaths

ACCOUNT_KEY_BITS = 2048
KEEP_REJECTED = 5  # older refused certificates are removed


@dataclass
class AcmeState:
    """The last renewal attempt, as `sbc cert acme status` and `sbc status` show it."""

    last_attempt: str | None = None  # ISO 8601, UTC
    last_result: str | None = None  # "issued", "not-due", "failed", "rejected"
    message: str = ""  # our words
    ca_error: str = ""  # the CA's own message (RFC 8555 problem document), if any
    failures: int = 0  # failed attempts in a row
    next_try: str | None = None  # not before (backoff), ISO 8601
    last_issued: str | None = None
    alerted_days: int | None = None  # the last expiry threshold warned about ...
    alerted_cert: str | None = None  # ... for the certificate expiring then (ISO 8601)
    rejected: list[str] = field(default_factory=list)  # folders of refused certificates

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AcmeFiles:
    """The files of one data folder."""

    paths: CertPaths

    @property
    def folder(self) -> Path:
        return self.paths.data_dir / "acme"

    @property
    def account_key(self) -> Path:
        return self.folder / "account.key"

    @property
    def account(self) -> Path:
        return self.folder / "account.json"

    @property
    def state_file(self) -> Path:
        return self.folder / "state.json"

    @property
    def rejected(self) -> Path:
        return self.folder / "rejected"

    def _mkdir(self) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def load_account_key(self) -> rsa.RSAPrivateKey:
        """The account key, made on first use (RSA: every ACME CA takes RS256)."""
        if self.account_key.exists():
            key = serialization.load_pem_private_key(self.account_key.read_bytes(), None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError(f"{self.account_key} is not an RSA key")
            return key
        self._mkdir()
        key = rsa.generate_private_key(public_exponent=65537, key_size=ACCOUNT_KEY_BITS)
        atomic_write(self.account_key, key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()), mode=0o600)
        return key

    def account_uri(self, directory: str) -> str | None:
        """The account URL at `directory`; None for another CA or none yet."""
        try:
            data = json.loads(self.account.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        uri = data.get("uri") if data.get("directory") == directory else None
        return uri if isinstance(uri, str) else None

    def save_account(self, directory: str, uri: str) -> None:
        self._mkdir()
        text = json.dumps({"directory": directory, "uri": uri}, indent=2) + "\n"
        atomic_write(self.account, text.encode(), mode=0o600)

    def load_state(self) -> AcmeState:
        try:
            data = json.loads(self.state_file.read_text("utf-8"))
        except (OSError, ValueError):
            return AcmeState()
        known = AcmeState.__dataclass_fields__
        return AcmeState(**{k: v for k, v in data.items() if k in known})

    def save_state(self, state: AcmeState) -> None:
        self._mkdir()
        text = json.dumps(state.as_dict(), indent=2) + "\n"
        atomic_write(self.state_file, text.encode(), mode=0o644)

    def keep_aside(self, cert_pem: bytes, key_pem: bytes, reason: str, now: dt.datetime) -> Path:
        """Keep a refused certificate and its key with the reason; the newest few stay."""
        self.rejected.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = self.rejected / f"{now:%Y%m%dT%H%M%SZ}-{time.time_ns() % 10**6:06d}"
        folder.mkdir(mode=0o700)
        atomic_write(folder / "sbc.crt", cert_pem, mode=0o644)
        atomic_write(folder / "sbc.key", key_pem, mode=0o600)
        atomic_write(folder / "reason.txt", (reason + "\n").encode(), mode=0o644)
        for old in sorted(p for p in self.rejected.iterdir() if p.is_dir())[:-KEEP_REJECTED]:
            shutil.rmtree(old, ignore_errors=True)
        return folder
