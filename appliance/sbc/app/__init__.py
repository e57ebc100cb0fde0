"""The composition root: `SbcApp` builds the running SBC from the layers below it.

- `app`        `SbcApp`: loads the config, opens listeners, starts services and the call
               manager, reloads on SIGHUP, writes the status file
- `readiness`  whether the TLS certificate is usable yet, and why the TLS side waits
- `report`     the certificate and ACME parts of the status
- `console`    a syslog sink to stderr for `sbc run -v`

Nothing below imports this package (tests/test_layers.py); docs/architecture.md has the
layers and the path of an INVITE and of a config change.
"""

from .app import RunOptions, SbcApp

__all__ = ["RunOptions", "SbcApp"]
