"""`make dbt-docs` in the default project: dbt's documentation site is generated and served
with no network, and holds every model with its columns. It runs before the pipeline has
built anything (test_generated_project.py runs `make demo` later), as a learner may."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request

from conftest import uv_executable

# uv from its cache alone, and a proxy that refuses every connection: anything dbt or the
# install step fetched would fail.
OFFLINE = {"UV_OFFLINE": "1", "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, deadline: float, server: subprocess.Popen, log_path) -> bytes:
    """The body at url once the server answers; fails with the server's log if it stops or times out."""
    while True:
        try:
            with DIRECT.open(url, timeout=5) as response:
                return response.read()
        except OSError as error:
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{url}: {error}\n{log_path.read_text()[-4000:]}") from error
            time.sleep(2)


def test_make_dbt_docs_generates_and_serves_the_site_offline(default_project, tmp_path):
    port = free_port()
    log_path = tmp_path / "dbt-docs.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        ["make", "dbt-docs", f"UV={uv_executable()}", f"DBT_DOCS_PORT={port}"],
        cwd=default_project,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, **OFFLINE},
    )
    try:
        served = f"http://127.0.0.1:{port}"
        page = fetch(f"{served}/index.html", time.monotonic() + 900, server, log_path).decode()
        manifest = json.loads(fetch(f"{served}/manifest.json", time.monotonic() + 30, server, log_path))
        json.loads(fetch(f"{served}/catalog.json", time.monotonic() + 30, server, log_path))
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        log.close()
    # The page is self-contained: no script or stylesheet from elsewhere.
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="https?://', page)
    models = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    assert {"stg_events", "fct_orders", "analytics_orders"} <= models
    assert manifest["nodes"][next(key for key in manifest["nodes"] if key.endswith(".fct_orders"))]["columns"]
