"""The protocol cores stay sans-IO: no sockets, no event loop, no clock, no global
randomness. That is `sbc.sip` and the call's state core (`sbc.b2bua.state`)."""

from __future__ import annotations

import ast
from pathlib import Path

import sbc.b2bua.state
import sbc.sip

FORBIDDEN = {"asyncio", "socket", "time", "random", "selectors", "threading", "ssl", "os"}
PACKAGE = Path(sbc.sip.__file__).parent
SANS_IO = [*sorted(PACKAGE.glob("*.py")), Path(sbc.b2bua.state.__file__)]


def test_no_io_imports() -> None:
    offenders = []
    for path in SANS_IO:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_modules_stay_small() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.glob("*.py")}
    assert max(sizes.values()) <= 400, sizes


def test_public_api_is_exported() -> None:
    for name in sbc.sip.__all__:
        assert hasattr(sbc.sip, name), name
