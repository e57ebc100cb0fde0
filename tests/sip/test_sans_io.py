"""The core stays sans-IO: no sockets, no event loop, no clock, no global randomness."""

from __future__ import annotations

import ast
from pathlib import Path

import sbc.sip

FORBIDDEN = {"asyncio", "socket", "time", "random", "selectors", "threading", "ssl", "os"}
PACKAGE = Path(sbc.sip.__file__).parent


def test_no_io_imports() -> None:
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
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
