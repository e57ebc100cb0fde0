"""Where the certificate files live.

Everything sits in one data folder (`/data` on the appliance, the persistent partition);
tests and labs pass a temporary folder instead. The names are fixed so the CLI, the
transports and the web page agree without configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path("/data")
SYSTEM_STORE = Path("/etc/ssl/certs/ca-certificates.crt")


@dataclass(frozen=True)
class CertPaths:
    """The certificate files in `data_dir`."""

    data_dir: Path = DATA_DIR

    @property
    def ca_bundle(self) -> Path:
        """Trust store for peers: system roots + Microsoft's roots + admin roots."""
        return self.data_dir / "ca.pem"

    @property
    def ca_extra(self) -> Path:
        """Roots the admin added (`sbc cert add-ca`), merged into every bundle rebuild."""
        return self.data_dir / "ca-extra.pem"

    @property
    def cert(self) -> Path:
        """The SBC's certificate followed by its intermediates (what TLS sends)."""
        return self.data_dir / "sbc.crt"

    @property
    def key(self) -> Path:
        """The private key of `cert` (mode 0600)."""
        return self.data_dir / "sbc.key"

    @property
    def csr(self) -> Path:
        """The last certificate signing request made by `sbc cert csr`."""
        return self.data_dir / "sbc.csr"

    @property
    def pending_key(self) -> Path:
        """The key of `csr`, kept apart until its certificate is imported.

        Writing it over `key` at CSR time would break the running certificate during
        the days the CA takes to sign.
        """
        return self.data_dir / "sbc.key.pending"
