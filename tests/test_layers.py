"""The layers of appliance/sbc, written down once: a module may import its own layer and
the layers below it, never one above (docs/architecture.md draws the same picture).

Every import counts: at the top, inside functions, under TYPE_CHECKING. A new package
must be given a layer here before the test passes, so the order is always decided.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "appliance" / "sbc"

# Lowest first. Within a layer, packages may import each other.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    # the package itself (PRODUCT, __version__) and helpers with no SBC knowledge
    ("foundation", frozenset({"", "util"})),
    # SIP without I/O: messages, transactions, dialogs (tests/sip/test_sans_io.py)
    ("sip", frozenset({"sip"})),
    # the settings model and the files the box is made of: config, certificates,
    # firewall, syslog and trace settings, the status file
    ("settings", frozenset({"config", "profiles", "certs", "firewall", "logs", "trace",
                            "status"})),
    # what a call or a service asks for: DNS/SIP resolution, routing rules, rtpengine
    ("resolution", frozenset({"resolve", "routing", "media"})),
    # sockets: UDP, TCP, TLS, admission
    ("transport", frozenset({"transport"})),
    # the SIP engine: transactions on a real clock, routing requests to handlers
    ("engine", frozenset({"core"})),
    # what runs on the engine: calls (B2BUA) and per-connection services (OPTIONS, REGISTER)
    ("calls", frozenset({"b2bua", "services"})),
    # the composition root: builds and runs all of the above
    ("app", frozenset({"app"})),
    # the admin's tools: the command line and what only it uses
    ("tools", frozenset({"cli", "routing_cli", "doctor", "backup"})),
)


def _layer_of(package: str) -> int:
    for rank, (_, packages) in enumerate(LAYERS):
        if package in packages:
            return rank
    raise AssertionError(f"sbc.{package} has no layer: add it to LAYERS in {__file__}")


def _module_name(path: Path) -> list[str]:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) for every import of an sbc module in `path`."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                if node.module:
                    found.append((node.lineno, ".".join([*base, node.module])))
                else:
                    found += [(node.lineno, ".".join([*base, alias.name]))
                              for alias in node.names]
            elif node.module and (node.module == "sbc" or node.module.startswith("sbc.")):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names
                      if alias.name == "sbc" or alias.name.startswith("sbc.")]
    return found


def _top(module: str) -> str:
    """The top package under sbc ("" for the package itself and its names)."""
    parts = module.split(".")
    if len(parts) < 2:
        return ""
    top = parts[1]
    return top if (ROOT / top).is_dir() or (ROOT / f"{top}.py").is_file() else ""


def test_no_module_imports_a_layer_above_its_own() -> None:
    violations = []
    modules = sorted(ROOT.rglob("*.py"))
    assert len(modules) > 100, f"found only {len(modules)} modules under {ROOT}"
    for path in modules:
        own = _top(".".join(_module_name(path)))
        rank = _layer_of(own)
        for line, target in _imports(path):
            other = _top(target)
            if _layer_of(other) > rank:
                violations.append(
                    f"{path.relative_to(ROOT.parent)}:{line} imports {target}: "
                    f"{LAYERS[rank][0]} -> {LAYERS[_layer_of(other)][0]}")
    assert not violations, "imports from a lower layer to a higher one:\n" + "\n".join(violations)


def test_every_package_has_a_layer() -> None:
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    packages |= {p.stem for p in ROOT.glob("*.py") if p.stem != "__init__"}
    for package in sorted(packages):
        _layer_of(package)


def test_the_checker_sees_relative_and_absolute_imports(tmp_path: Path) -> None:
    assert _top("sbc.media.ng") == "media" and _top("sbc") == ""
    assert _top("sbc.PRODUCT") == ""
    core = ROOT / "core" / "engine.py"
    targets = {target for _, target in _imports(core)}
    assert any(t.startswith("sbc.sip") for t in targets), targets
