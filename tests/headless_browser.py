"""Headless Chromium driven over the DevTools protocol: load a page, collect what the console and
the network said, evaluate a script in it.

Chromium starts with ``--remote-debugging-port=0`` and writes the port it chose to
``DevToolsActivePort`` in its profile folder; the page target's websocket is found through
``/json/list`` and spoken to with ``websocket-client`` (one JSON message per command, events in
between).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Names Chromium is installed under (Debian: ``chromium``); ``CHROMIUM`` in the environment wins.
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FLAGS = [
    "--headless",
    "--no-sandbox",  # we run as root in CI, where the sandbox refuses to start
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-extensions",
]


def find_chromium() -> str | None:
    """The Chromium executable, or None."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    return next((path for path in map(shutil.which, NAMES) if path), None)


class DevTools:
    """One page's DevTools session: :meth:`call` a method, keep every event it sends."""

    def __init__(self, websocket_url: str, timeout: float = 30.0) -> None:
        import websocket

        # Chromium refuses websocket clients that send an Origin it was not started to allow.
        self._ws = websocket.create_connection(websocket_url, timeout=timeout, suppress_origin=True)
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _receive(self) -> dict[str, Any]:
        message = json.loads(self._ws.recv())
        if "id" not in message:
            self.events.append(message)
        return message

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        self._ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = self._receive()
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def wait_for(self, method: str, timeout: float) -> dict[str, Any]:
        """The first event called ``method`` (already received or to come)."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event["method"] == method:
                    return event
            seen = len(self.events)
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} within {timeout} s")
            self._receive()

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (a promise is awaited), or RuntimeError if it
        threw."""
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"script threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        self._ws.close()


@contextmanager
def chromium_page(executable: str, profile: Path, timeout: float = 30.0) -> Iterator[DevTools]:
    """A blank page in a fresh headless Chromium, with the console, log, network and page
    domains enabled; the browser is stopped on exit."""
    profile.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            executable,
            *FLAGS,
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    devtools = None
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.is_file() and port_file.read_text().strip()):
            if process.poll() is not None:
                raise RuntimeError(f"{executable} exited with status {process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{executable} opened no DevTools port within {timeout} s")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as r:
            targets = json.load(r)
        page = next(t for t in targets if t["type"] == "page")
        devtools = DevTools(page["webSocketDebuggerUrl"], timeout)
        for domain in ("Runtime", "Log", "Network", "Page"):
            devtools.call(f"{domain}.enable")
        yield devtools
    finally:
        if devtools is not None:
            devtools.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def console_errors(events: list[dict[str, Any]]) -> list[str]:
    """What the page reported as errors: console.error/assert, uncaught exceptions, error-level
    log entries (failed loads among them) and failed network requests."""
    errors = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(
                "console: " + " ".join(str(a.get("value", a)) for a in params.get("args", []))
            )
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            errors.append(
                "exception: " + str(details.get("exception", {}).get("description", details))
            )
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            errors.append(f"log: {entry.get('text')} ({entry.get('url', '')})")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            errors.append(f"network: {params.get('errorText')} ({params.get('requestId')})")
    return errors


def requested_urls(events: list[dict[str, Any]]) -> list[str]:
    return [
        e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"
    ]


def screenshot(
    executable: str, page: Path, png: Path, profile: Path, width: int = 1280, height: int = 2400
) -> None:
    """``chromium --headless --screenshot`` of ``page`` at ``width`` x ``height``."""
    subprocess.run(
        [
            executable,
            *FLAGS,
            f"--user-data-dir={profile}",
            "--hide-scrollbars",
            f"--window-size={width},{height}",
            f"--screenshot={png}",
            page.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


if __name__ == "__main__":  # the screenshot in docs/img: python tests/headless_browser.py PAGE PNG
    import sys
    import tempfile

    chromium = find_chromium()
    if chromium is None:
        sys.exit("no chromium found (make browser-deps installs Debian's)")
    with tempfile.TemporaryDirectory() as folder:
        screenshot(chromium, Path(sys.argv[1]), Path(sys.argv[2]), Path(folder))
