"""The shape of status.json, written once: `sbc run` builds it (`SbcApp.snapshot`), `sbc
status` and the web console read it, and the tests check every status they read against
it (`problems`). Parts that other components own (the calls, the engine's counters, a
registration) are typed as objects here and described by those components.

`problems(doc)` lists what does not fit, in words ("connections[0].kind: expected str,
got int"); an empty list means the document is a version-1 status.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any, TypedDict, Union

VERSION = 1


class ConfigStatus(TypedDict):
    path: str
    last_reload: dict[str, Any] | None  # at, ok, summary, errors


class SbcStatus(TypedDict):
    fqdn: str
    listening: list[Any]


class TlsStatus(TypedDict):
    active: bool
    reason: str | None


class ConnectionStatus(TypedDict):
    name: str
    waiting: str | None  # why its services wait (no certificate, template values)
    kind: str
    transport: str
    host: str
    target: str
    registration: dict[str, Any] | None
    options_out: dict[str, Any] | None
    options_in: dict[str, Any] | None
    certificate: dict[str, Any] | None  # what the TLS peer showed


class TransportStatus(TypedDict):
    stats: dict[str, Any]
    connections: list[Any]


class TraceStatus(TypedDict):
    active: bool
    path: str | None
    messages: int
    configured_path: str


class StatusSnapshot(TypedDict):
    version: int
    product: str
    pid: int
    started: float
    updated: float
    config: ConfigStatus
    sbc: SbcStatus
    certificate: dict[str, Any]
    acme: dict[str, Any] | None
    tls: TlsStatus
    connections: list[ConnectionStatus]
    calls: dict[str, Any]
    dropped: dict[str, Any]
    engine: dict[str, Any]
    transport: TransportStatus
    trace: TraceStatus


def problems(doc: object, kind: type = StatusSnapshot, where: str = "") -> list[str]:
    """What in `doc` does not fit `kind` (a TypedDict above); [] when it all does.
    Unknown keys are allowed: a newer SBC may add some, readers skip them."""
    if not isinstance(doc, Mapping):
        return [f"{where or 'status'}: expected an object, got {type(doc).__name__}"]
    found: list[str] = []
    for key, hint in typing.get_type_hints(kind).items():
        path = f"{where}.{key}" if where else key
        if key not in doc:
            found.append(f"{path}: missing")
            continue
        found += _check(doc[key], hint, path)
    if kind is StatusSnapshot and doc.get("version") != VERSION:
        found.append(f"version: expected {VERSION}, got {doc.get('version')!r}")
    return found


def _check(value: object, hint: Any, path: str) -> list[str]:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if any(not _check(value, option, path) for option in options):
            return []
        names = " or ".join(_name(option) for option in options)
        return [f"{path}: expected {names}, got {type(value).__name__}"]
    if hint is type(None):
        return [] if value is None else [f"{path}: expected null, got {type(value).__name__}"]
    if hint is Any:
        return []
    if typing.is_typeddict(hint):
        return problems(value, hint, path)
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {type(value).__name__}"]
        (item,) = typing.get_args(hint) or (Any,)
        return [p for i, element in enumerate(value) for p in _check(element, item, f"{path}[{i}]")]
    if origin is dict:
        return [] if isinstance(value, dict) else [
            f"{path}: expected an object, got {type(value).__name__}"]
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, hint)
    return [] if ok else [f"{path}: expected {_name(hint)}, got {type(value).__name__}"]


def _name(hint: Any) -> str:
    if hint is type(None):
        return "null"
    return getattr(hint, "__name__", str(hint))
