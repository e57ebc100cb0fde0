"""The SBC's typed configuration: one YAML file, validated once, frozen dataclasses out.

    config = load_config("/data/sbc.yaml")   # or ConfigError listing every problem
    for conn in config.connections: ...

Connections come from profile data files (`sbc/profiles/*.yaml`, plus /data/profiles).
"""

from .allow import Allowlist
from .check import check_main
from .convert import log_settings, trace_settings
from .holder import ConfigHolder, ReloadResult
from .issues import ConfigError, ConfigIssue, Severity
from .loader import check, load_config, loads
from .model import (
    Auth,
    CallsConfig,
    Config,
    Connection,
    HostEntry,
    Limits,
    Listener,
    MediaConfig,
    NumberPlan,
    Registration,
    Route,
    SbcSettings,
    SyslogSettings,
    TlsSettings,
    TraceSettings,
)
from .profiles import Profile, ProfileRegistry
from .save import save_config

__all__ = [
    "Allowlist",
    "Auth",
    "CallsConfig",
    "Config",
    "ConfigError",
    "ConfigHolder",
    "ConfigIssue",
    "Connection",
    "HostEntry",
    "Limits",
    "Listener",
    "MediaConfig",
    "NumberPlan",
    "Profile",
    "ProfileRegistry",
    "Registration",
    "Route",
    "ReloadResult",
    "SbcSettings",
    "Severity",
    "SyslogSettings",
    "TlsSettings",
    "TraceSettings",
    "check",
    "check_main",
    "load_config",
    "loads",
    "log_settings",
    "save_config",
    "trace_settings",
]
