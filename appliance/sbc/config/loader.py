"""Load and check `/data/sbc.yaml`: parse every section, collect every problem, then
either return a `Config` (warnings attached) or raise one `ConfigError` listing them all.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from .calls import check_media, read_calls, read_media
from .connections import read_connections
from .issues import ConfigError, ConfigIssue, IssueLog, Severity
from .limits import compose_file, read_config
from .model import (
    Config,
    Connection,
    IPNetwork,
    SbcSettings,
    SyslogSettings,
    TraceSettings,
)
from .nodes import Doc, Node, describe
from .placeholders import find_placeholders
from .profiles import ProfileRegistry
from .routes import read_routes
from .sections import DEFAULT_MODEL, read_acme, read_hosts, read_sbc, read_syslog, read_trace
from .table import REQUIRED, Key, read_table
from .values import file_path

# Microsoft's signalling ranges (MS-NEW, ACS-INF); a list covering only part of them
# (e.g. the old 52.114.0.0/16) misses live proxies (AT-7).
TEAMS_NETWORKS = (
    ipaddress.ip_network("52.112.0.0/14"),
    ipaddress.ip_network("52.120.0.0/14"),
)


def _node(doc: Doc, node: Node, path: str) -> Any:
    return node


_TOP_KEYS = (
    Key("sbc", _node, REQUIRED),
    Key("connections", _node, None),
    Key("hosts", _node, None),
    Key("syslog", _node, None),
    Key("trace", _node, None),
    Key("routes", _node, None),
    Key("media", _node, None),
    Key("calls", _node, None),
    Key("acme", _node, None),
    Key("profiles_dir", file_path, None, "extra profile files (/data/profiles)"),
)


def _section(values: dict[str, Any], name: str) -> Node | None:
    """A top-level section's node; None when absent or null (errors already logged)."""
    value = values.get(name)
    if not isinstance(value, yaml.Node):
        return None
    if isinstance(value, yaml.ScalarNode) and value.tag == "tag:yaml.org,2002:null":
        return None
    return value


def _warn(log: IssueLog, conn: Connection, field: str, message: str) -> None:
    """A warning at a connection's entry; `field` is relative to the entry."""
    file, _, line = conn.origin.rpartition(":")
    number = int(line) if line.isdigit() else None
    log.add(ConfigIssue(file, number, f"{conn.entry}.{field}", message, Severity.WARNING))


def _cross_checks(doc: Doc, sbc: SbcSettings, conns: tuple[Connection, ...]) -> None:
    """Warnings that need the whole file, each about a failure seen in the field.

    Checks run once per admin entry, not per expanded connection (Teams1..3).
    """
    teams = [c for c in conns if c.kind == "teams"]
    if teams and sbc.listener("tls") is None:
        line = doc.lines.get("sbc.listen") or doc.lines.get("sbc")
        doc.log.add(
            ConfigIssue(
                doc.file,
                line,
                "sbc.listen",
                "no TLS listener: Teams connects to the SBC over TLS only (add transport tls)",
                Severity.WARNING,
            )
        )
    entries: dict[str, Connection] = {}  # the first connection of each admin entry
    for conn in conns:
        entries.setdefault(conn.entry, conn)
    teams_entries = [c for c in entries.values() if c.kind == "teams"]
    if len(teams_entries) > 1:
        names = ", ".join(sorted(c.group for c in teams_entries))
        _warn(
            log=doc.log,
            conn=teams_entries[1],
            field="profile",
            message=(
                f"Teams connections {names} share sbc.fqdn {sbc.fqdn}; Teams identifies the "
                "tenant by the Contact FQDN, so one FQDN must not serve two tenants or services "
                "(AT-17)"
            ),
        )
    owner: dict[tuple[str, int | None, str], Connection] = {}
    warned: set[str] = set()
    for conn in conns:
        key = (conn.host, conn.port, conn.transport)
        first = owner.setdefault(key, conn)
        if conn.entry in warned:
            continue
        if conn.host == sbc.fqdn:
            warned.add(conn.entry)
            _warn(doc.log, conn, "host", f"{conn.name} points at the SBC's own FQDN {sbc.fqdn}")
        elif first is not conn and first.entry != conn.entry:
            warned.add(conn.entry)
            _warn(
                doc.log,
                conn,
                "name",
                f"{conn.group} reaches the same peer as {first.group} ({conn.uri})",
            )
    for conn in entries.values():
        if conn.kind == "teams":
            _check_teams_allowlist(doc.log, conn)


def _covered(allow: tuple[IPNetwork, ...], target: IPNetwork) -> bool:
    return any(
        n.version == target.version and target.subnet_of(n)  # type: ignore[arg-type]
        for n in allow
    )


def _check_teams_allowlist(log: IssueLog, conn: Connection) -> None:
    """Warn about lists touching Microsoft's ranges without covering them (AT-7)."""
    partial = [
        n
        for n in conn.allowlist
        if any(n.version == t.version and n.overlaps(t) for t in TEAMS_NETWORKS)
    ]
    if partial and not all(_covered(conn.allowlist, t) for t in TEAMS_NETWORKS):
        _warn(
            log,
            conn,
            "allowlist",
            f"{conn.group} allows only part of Microsoft's ranges "
            f"({', '.join(map(str, partial))}); allow 52.112.0.0/14 and 52.120.0.0/14 or "
            "OPTIONS and calls from other Microsoft proxies are dropped (AT-7)",
        )


def _check_files(
    log: IssueLog,
    file: str,
    sbc: SbcSettings,
    conns: tuple[Connection, ...],
    syslog: SyslogSettings | None,
    require: bool,
    lines: dict[str, int],
) -> None:
    """TLS files must exist at run time; `sbc check` only warns (certs may come later)."""
    severity = Severity.ERROR if require else Severity.WARNING
    wanted: list[tuple[str, Path]] = []
    if sbc.listener("tls") or any(c.transport == "tls" for c in conns):
        wanted += [
            ("sbc.tls.cert", sbc.tls.cert),
            ("sbc.tls.key", sbc.tls.key),
            ("sbc.tls.ca_bundle", sbc.tls.ca_bundle),
        ]
    if syslog and syslog.protocol == "tls":
        wanted.append(("syslog.ca_file", syslog.ca_file or sbc.tls.ca_bundle))
    for field, path in wanted:
        if not path.is_file():
            line = lines.get(field) or lines.get(field.rpartition(".")[0])
            log.add(ConfigIssue(file, line, field, f"file {path} does not exist", severity))


def parse(
    file: str,
    text: str,
    *,
    profiles_dir: Path | None = None,
    require_files: bool = False,
) -> tuple[Config | None, IssueLog]:
    """Parse config text; the Config is None when any error was logged."""
    log = IssueLog()
    doc = Doc(file, log, Path(file).resolve().parent)
    root, problem = compose_file(file, text)
    if problem is not None:
        log.add(problem)
    if root is None:
        if not log.issues:
            doc.error(None, "", "is empty; it needs at least an 'sbc' section")
        return None, log
    if not isinstance(root, yaml.MappingNode):
        doc.error(root, "", f"must be a mapping of settings (got {describe(root)})")
        return None, log
    top = read_table(doc, root, "", _TOP_KEYS)
    extra = top.get("profiles_dir")
    extra_dir = profiles_dir or (extra if isinstance(extra, Path) else None)
    registry = ProfileRegistry(extra_dir)
    log.issues.extend(registry.load_issues)
    for name, (extra, builtin) in registry.overridden().items():
        log.add(
            ConfigIssue(
                extra,
                None,
                "",
                f"replaces the built-in profile {name} ({builtin})",
                Severity.WARNING,
            )
        )
    sbc_node = top.values.get("sbc")  # null still reads, to name the missing settings
    sbc = read_sbc(doc, sbc_node, at=root) if isinstance(sbc_node, yaml.Node) else None
    model = sbc.model if sbc else DEFAULT_MODEL
    used: set[str] = set()
    conns = read_connections(doc, _section(top.values, "connections"), registry, model, used)
    hosts = read_hosts(doc, _section(top.values, "hosts"))
    syslog_node = _section(top.values, "syslog")
    syslog = read_syslog(doc, syslog_node) if syslog_node is not None else None
    trace = read_trace(doc, _section(top.values, "trace"))
    routes = read_routes(doc, _section(top.values, "routes"), conns)
    media = read_media(doc, _section(top.values, "media"))
    calls = read_calls(doc, _section(top.values, "calls"))
    acme_node = _section(top.values, "acme")
    acme = read_acme(doc, acme_node) if acme_node is not None else None
    if sbc is not None and media is not None and calls is not None:
        check_media(doc, media, calls, sbc)
    _downgrade_unused_profiles(log, registry, used)
    if not top.ok or sbc is None or conns is None or hosts is None or trace is None:
        return None, log
    if routes is None or media is None or calls is None:
        return None, log
    if syslog_node is not None and syslog is None:
        return None, log
    if acme_node is not None and acme is None:
        return None, log
    if not conns:
        log.add(
            ConfigIssue(
                file,
                None,
                "connections",
                "no connections: the SBC will not route",
                Severity.WARNING,
            )
        )
    _cross_checks(doc, sbc, conns)
    unconfigured = _find_unconfigured(doc, top.values)
    _check_files(log, file, sbc, conns, syslog, require_files, doc.lines)
    if log.errors:
        return None, log
    config = Config(
        path=file,
        sbc=sbc,
        connections=conns,
        hosts=MappingProxyType(hosts),
        syslog=syslog,
        trace=trace or TraceSettings(),
        profiles_dir=extra_dir,
        warnings=tuple(log.sorted()),
        routes=routes,
        media=media,
        calls=calls,
        acme=acme,
        unconfigured=unconfigured,
    )
    return config, log


# Where a stand-in value matters; `hosts` and `routes` are lab maps and patterns.
_ADMIN_SECTIONS = ("sbc", "connections", "syslog")


def _find_unconfigured(doc: Doc, top: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Warn about each template or example value left in place (see config.placeholders)."""
    found: list[tuple[str, str]] = []
    for section in _ADMIN_SECTIONS:
        for path, node, reason in find_placeholders(_section(top, section), section):
            doc.warn(node, path, f"not configured yet: {reason}; enter this box's own value")
            found.append((path, reason))
    return tuple(found)


def _downgrade_unused_profiles(log: IssueLog, registry: ProfileRegistry, used: set[str]) -> None:
    """A broken extra profile nobody uses should not stop the SBC; say so as a warning."""
    for name in registry.names():
        if name in used:
            continue
        for issue in registry.get(name)[1].issues:
            log.add(
                ConfigIssue(
                    issue.file,
                    issue.line,
                    issue.field,
                    f"{issue.message} (profile {name} is unused)",
                    Severity.WARNING,
                )
            )


def read_text(path: Path) -> tuple[str | None, ConfigIssue | None]:
    """The file's text, or the issue saying why it cannot be used (for every reader):
    unreadable, over the size limit, or not UTF-8 (config.limits)."""
    return read_config(path)


def inspect(
    path: str | Path, *, profiles_dir: Path | None = None, require_files: bool = False
) -> tuple[Config | None, list[ConfigIssue]]:
    """The Config (None if any error) and every issue, errors first."""
    text, problem = read_text(Path(path))
    if text is None:
        assert problem is not None
        return None, [problem]
    config, log = parse(str(path), text, profiles_dir=profiles_dir, require_files=require_files)
    return config, log.sorted()


def check(
    path: str | Path, *, profiles_dir: Path | None = None, require_files: bool = False
) -> list[ConfigIssue]:
    """Every error and warning for a file, errors first, as `sbc check` shows them."""
    return inspect(path, profiles_dir=profiles_dir, require_files=require_files)[1]


def load_config(
    path: str | Path, *, profiles_dir: Path | None = None, require_files: bool = False
) -> Config:
    """The validated config, or ConfigError naming every problem by file, line and field.

    `require_files=True` (for `sbc run`) turns missing certificate files into errors.
    """
    text, problem = read_text(Path(path))
    if text is None:
        assert problem is not None
        raise ConfigError([problem])
    return loads(text, str(path), profiles_dir=profiles_dir, require_files=require_files)


def loads(
    text: str, file: str, *, profiles_dir: Path | None = None, require_files: bool = False
) -> Config:
    """Like load_config for text that is not (yet) in a file, e.g. before saving it."""
    config, log = parse(file, text, profiles_dir=profiles_dir, require_files=require_files)
    if config is None:
        raise ConfigError(_only_errors(log.sorted()))
    return config


def _only_errors(issues: Iterable[ConfigIssue]) -> list[ConfigIssue]:
    return [i for i in issues if i.is_error]
