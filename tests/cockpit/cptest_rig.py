"""The Cockpit page's test rig: where things are, building the page, and what the
fixture hands a test."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cptest_webdriver import free_port, http_ok, wait_for

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SOURCE = REPO / "appliance/cockpit"  # package.json, build.js, src/
PACKAGE = SOURCE / "dist/opensbc"  # what build.js writes and the image installs
COCKPIT_WS = Path("/usr/lib/cockpit/cockpit-ws")
CHROMIUM = Path("/usr/bin/chromium")


@dataclass
class Cockpit:
    url: str  # the SBC page
    config: Path  # the sbc.yaml the page edits (OPENSBC_CONFIG)
    log: Path  # what the fake sbc/journalctl/systemctl recorded
    trace: Path  # the trace file the status fixture names
    status: Path  # what the fake `sbc status --json` prints (remove it: "not running")
    doctor: Path  # what the fake `sbc doctor --json` prints

    def section(self, name: str) -> str:
        """The page's URL for one section, as Cockpit's shell puts it (#/voip)."""
        return f"{self.url}#/{name}"


def missing() -> str | None:
    """Why the page tests cannot run here, or None."""
    if not COCKPIT_WS.exists() or shutil.which("cockpit-bridge") is None:
        return "needs cockpit-ws and cockpit-bridge"
    if not CHROMIUM.exists() or shutil.which("chromedriver") is None:
        return "needs chromium and chromium-driver"
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "needs nodejs and npm to build the page (tools/host-deps test)"
    return None


def _newest(paths: list[Path]) -> float:
    files = [f for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()]
    return max(f.stat().st_mtime for f in files)


def stale() -> bool:
    """Whether dist/opensbc is missing or older than what it is built from."""
    built = PACKAGE / "index.js"
    if not built.exists() or not (PACKAGE / "index.html").exists():
        return True
    inputs = [SOURCE / "src", SOURCE / "build.js", SOURCE / "package-lock.json"]
    return _newest(inputs) > built.stat().st_mtime


def build() -> None:
    """What `make cockpit` does: npm ci when the lockfile is newer than node_modules,
    then node build.js. A failure raises with npm's or esbuild's output."""
    modules = SOURCE / "node_modules"
    lock = SOURCE / "package-lock.json"
    env = dict(os.environ, NODE_ENV="production")
    if not modules.exists() or lock.stat().st_mtime > modules.stat().st_mtime:
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=SOURCE, check=True,
                       timeout=600, env=env)
        modules.touch()
    if stale():
        subprocess.run(["node", "build.js"], cwd=SOURCE, check=True, timeout=300, env=env)


@contextmanager
def cockpit_ws(env: dict[str, str], cwd: Path) -> Iterator[str]:
    """cockpit-ws on a free loopback port with a local session (no login) whose bridge
    runs with `env` (the page's commands see it); yields the base URL."""
    port = free_port()
    ws = subprocess.Popen(
        [str(COCKPIT_WS), f"--local-session={shutil.which('cockpit-bridge')}",
         "-p", str(port), "-a", "127.0.0.1"],
        env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_ok(f"{base}/cockpit/login"), 30, "cockpit-ws start")
        yield base
    finally:
        ws.terminate()
        try:
            ws.wait(timeout=10)
        except subprocess.TimeoutExpired:
            ws.kill()
            ws.wait(timeout=10)
