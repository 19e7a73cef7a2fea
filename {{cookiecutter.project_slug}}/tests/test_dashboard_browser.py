"""The running dashboard in a real headless Chromium, and the pipeline writing while it is open.

The test starts `streamlit run dashboard/app.py` on a free localhost port and drives
Debian's Chromium over the DevTools protocol (through the `websockets` package that
comes with Streamlit): it waits for the KPI tiles to show the CLI's figures and keeps
a screenshot at data/test-artifacts/dashboard.png. Chromium is installed by
`make browser`; without it these tests fail and say so.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from websockets.sync.client import connect as websocket_connect

from {{ cookiecutter.package_name }}.ingest.backfill import generate_to_lake
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.warehouse.kpis import Kpis, read_kpis

from conftest import PROJECT_DIR, TEST_END

# The full tier (make test-all): a real Chromium drives the running dashboard.
pytestmark = pytest.mark.full

APP = PROJECT_DIR / "dashboard" / "app.py"
SCREENSHOT = PROJECT_DIR / "data" / "test-artifacts" / "dashboard.png"
WINDOW = (1440, 1800)
# True once the 8 charts are drawn and every table outside a closed expander shows its cells.
PANELS_DRAWN = """
document.querySelectorAll('[data-testid="stVegaLiteChart"] svg.marks').length === 8
&& Array.from(document.querySelectorAll('[data-testid="stDataFrame"]'))
    .filter(table => table.querySelector('[data-testid="data-grid-canvas"]'))
    .every(table => table.querySelector('[data-testid^="glide-cell"]'))
"""
CHROMIUM_MISSING = "chromium is not installed: run `make browser` (or as root: apt-get install -y chromium)"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def stop(process: subprocess.Popen) -> None:
    """Stop a process started in its own session, with everything it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Chromium:
    """One headless Chromium page, driven over the DevTools protocol."""

    def __init__(self, binary: str, profile_dir: Path) -> None:
        self.process = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",  # tests may run as root, where the sandbox cannot start
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile_dir}",
                f"--window-size={WINDOW[0]},{WINDOW[1]}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        # Chromium writes the port it chose into the profile folder.
        port_file = profile_dir / "DevToolsActivePort"
        wait_until(lambda: port_file.is_file() and port_file.read_text().strip(), 30, "Chromium to start")
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            (page,) = [target for target in json.load(response) if target["type"] == "page"]
        self.connection = ExitStack()
        self.socket = self.connection.enter_context(
            websocket_connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10)
        )
        self.ids = itertools.count(1)

    def call(self, method: str, **params) -> dict:
        message_id = next(self.ids)
        self.socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=30))
            if message.get("id") == message_id:
                if "error" in message:
                    raise AssertionError(f"{method} failed: {message['error']}")
                return message["result"]

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def open(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def text(self) -> str:
        return self.evaluate("document.body ? document.body.innerText : ''") or ""

    def wait_for_text(self, *needles: str, timeout: float = 60) -> str:
        return wait_until(
            lambda: (text := self.text()) and all(needle in text for needle in needles) and text,
            timeout,
            f"the page to show {needles}",
        )

    def screenshot(self, path: Path) -> None:
        # Tables draw on a canvas: let the fonts load and two frames paint before the capture.
        self.call(
            "Runtime.evaluate",
            expression="document.fonts.ready.then(() => new Promise(done => "
            "requestAnimationFrame(() => requestAnimationFrame(() => done(true)))))",
            awaitPromise=True,
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        self.connection.close()
        stop(self.process)


@dataclass(frozen=True)
class Dashboard:
    url: str
    settings: Settings


@pytest.fixture(scope="module")
def dashboard(built_warehouse, tmp_path_factory):
    """`streamlit run` on a copy of the test warehouse and its lake, on a free localhost port."""
    data_dir = tmp_path_factory.mktemp("dashboard")
    settings = replace(built_warehouse, lake_dir=data_dir / "lake", warehouse_path=data_dir / "warehouse.duckdb")
    shutil.copytree(built_warehouse.lake_dir, settings.lake_dir)
    shutil.copy(built_warehouse.warehouse_path, settings.warehouse_path)
    port = free_port()
    env = {
        **os.environ,
        "PROJECT_DIR": str(PROJECT_DIR),
        "WAREHOUSE_PATH": str(settings.warehouse_path),
        "LAKE_DIR": str(settings.lake_dir),
        "DBT_TARGET": "local",
    }
    log = (data_dir / "streamlit.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def healthy() -> bool:
        assert server.poll() is None, (data_dir / "streamlit.log").read_text()
        try:
            with urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=2) as response:
                return response.read() == b"ok"
        except OSError:
            return False

    try:
        wait_until(healthy, 60, "the Streamlit server")
        yield Dashboard(url=f"http://localhost:{port}/", settings=settings)
    finally:
        stop(server)
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """The Chromium page, or None when Chromium is missing: each test then fails and says how to install it."""
    binary = shutil.which("chromium")
    if binary is None:
        yield None
        return
    chromium = Chromium(binary, tmp_path_factory.mktemp("chromium-profile"))
    yield chromium
    chromium.close()


def page(browser: Chromium | None) -> Chromium:
    if browser is None:
        pytest.fail(CHROMIUM_MISSING, pytrace=False)
    return browser


def tile_texts(kpis: Kpis) -> list[str]:
    return [
        f"${kpis.revenue:,.2f}",
        f"{kpis.orders:,}",
        f"${kpis.average_order_value:,.2f}",
        f"{kpis.buyers:,}",
        f"{kpis.session_conversion:.1%}",
    ]


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR", "not a PNG file"
    return struct.unpack(">II", header[16:24])


def test_chromium_shows_the_kpi_tiles_and_a_screenshot_is_kept(browser, dashboard):
    browser = page(browser)
    kpis = read_kpis(dashboard.settings.warehouse_path)
    browser.open(dashboard.url)
    text = browser.wait_for_text("Revenue", "Conversion rate", *tile_texts(kpis), "Revenue by country")
    assert "Traceback" not in text and "Error" not in text
    wait_until(lambda: browser.evaluate(PANELS_DRAWN), 30, "the charts and tables to draw")
    browser.screenshot(SCREENSHOT)
    width, height = png_size(SCREENSHOT)
    assert width == WINDOW[0] and height > 1000
    # A blank page or Streamlit's loading skeleton compresses to a few kilobytes.
    assert SCREENSHOT.stat().st_size > 50_000


def test_the_pipeline_loads_and_transforms_while_the_dashboard_is_open(browser, dashboard):
    browser = page(browser)
    before = read_kpis(dashboard.settings.warehouse_path)
    browser.open(dashboard.url)
    browser.wait_for_text(*tile_texts(before))
    # One more day of events, loaded and transformed by the CLI while the page stays open.
    generate_to_lake(dashboard.settings, TEST_END, datetime(2025, 10, 16, tzinfo=UTC))
    env = {
        **os.environ,
        "PROJECT_DIR": str(PROJECT_DIR),
        "WAREHOUSE_PATH": str(dashboard.settings.warehouse_path),
        "LAKE_DIR": str(dashboard.settings.lake_dir),
        "DBT_TARGET": "local",
    }
    for step in ("load", "transform"):
        result = subprocess.run(
            [sys.executable, "-c", "from {{ cookiecutter.package_name }}.cli import run; run()", step],
            env=env,
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    after = read_kpis(dashboard.settings.warehouse_path)
    assert after.orders > before.orders
    browser.open(dashboard.url)  # a reload: the file changed, so the figures are read again
    browser.wait_for_text(*tile_texts(after))
