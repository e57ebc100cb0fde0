"""A minimal W3C WebDriver client over urllib, enough to drive headless Chromium
through chromedriver (Debian's chromium-driver) without Selenium from PyPI."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
T = TypeVar("T")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,1500",
]


class WebDriverError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], T | None], timeout: float, what: str,
             interval: float = 0.2) -> T:
    """Poll `check` until it returns something truthy; bounded by `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
        except (OSError, WebDriverError) as exc:
            last, value = exc, None
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout:g} s" + (f" ({last})" if last else ""))


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except (OSError, urllib.error.URLError):
        return False


class Browser:
    """One chromedriver process and one session in headless Chromium."""

    def __init__(self, profile_dir: Path, chromium: str = "/usr/bin/chromium",
                 chromedriver: str = "chromedriver") -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._driver = subprocess.Popen([chromedriver, f"--port={self.port}"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: http_ok(f"{self.base}/status"), 30, "chromedriver start")
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": chromium,
                "args": CHROMIUM_FLAGS + [f"--user-data-dir={profile_dir}"],
            },
        }}}
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return json.loads(answer.read())["value"]
        except urllib.error.HTTPError as exc:
            detail = json.loads(exc.read() or b"{}").get("value", {})
            raise WebDriverError(f"{method} {path}: {detail.get('message', exc)}") from None

    def _s(self, path: str) -> str:
        return f"/session/{self.session}{path}"

    # --- the few commands the tests use ------------------------------------------------
    def open(self, url: str) -> None:
        self._call("POST", self._s("/url"), {"url": url})

    def find(self, css: str) -> str:
        return str(self._call("POST", self._s("/element"),
                              {"using": "css selector", "value": css})[ELEMENT])

    def text(self, css: str) -> str:
        return str(self._call("GET", self._s(f"/element/{self.find(css)}/text")))

    def property(self, css: str, name: str) -> Any:
        return self._call("GET", self._s(f"/element/{self.find(css)}/property/{name}"))

    def type(self, css: str, text: str) -> None:
        """Replace the field's text as typing does. WebDriver's clear alone sets the value
        behind React's back (a controlled input may put the old text back before the
        keys arrive), so Ctrl+A and Backspace follow it, as an admin would press them."""
        element = self.find(css)
        self._call("POST", self._s(f"/element/{element}/clear"))
        self._call("POST", self._s(f"/element/{element}/value"),
                   {"text": "\ue009a\ue000\ue003" + text})

    def click(self, css: str) -> None:
        self._call("POST", self._s(f"/element/{self.find(css)}/click"))

    def script(self, source: str, *args: Any) -> Any:
        return self._call("POST", self._s("/execute/sync"), {"script": source, "args": list(args)})

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self._call("GET", self._s("/screenshot"))))

    def console_log(self) -> list[str]:
        try:
            entries = self._call("POST", self._s("/se/log"), {"type": "browser"})
        except WebDriverError:
            return []
        return [str(e.get("message", "")) for e in entries]

    def close(self) -> None:
        try:
            self._call("DELETE", self._s(""))
        except (OSError, WebDriverError):
            pass
        self._driver.terminate()
        try:
            self._driver.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._driver.kill()
            self._driver.wait(timeout=10)
