"""The documentation site: it builds offline, fetches nothing, links nowhere broken, shows
every page in its navigation, leaks no assignment solution, and takes its options table
from cookiecutter.json."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from conftest import CONTEXT, TEMPLATE_DIR

sys.path.insert(0, str(TEMPLATE_DIR / "scripts"))
import mkdocs_hooks  # noqa: E402

DOCS_DIR = TEMPLATE_DIR / "docs"
EXCLUDED_FROM_SITE = {"figures"}  # mkdocs.yml exclude_docs: recorded run output the hooks insert

# Run a command with every socket connection refused, so a build step that downloads fails.
NETWORK_GUARD = """
import runpy, socket, sys

def refuse(*args, **kwargs):
    raise OSError("network blocked: the docs build tried to connect to " + repr(args[1:] or args))

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
sys.argv = sys.argv[1:]
if sys.argv[0].endswith(".py"):
    runpy.run_path(sys.argv[0], run_name="__main__")
else:
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""
OFFLINE_PROXY = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}


def offline(module_or_script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", NETWORK_GUARD, module_or_script, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "NO_MKDOCS_2_WARNING": "1", **OFFLINE_PROXY},
        timeout=600,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built by `mkdocs build --strict` with the network blocked."""
    site_dir = tmp_path_factory.mktemp("site")
    result = offline("mkdocs", "build", "--strict", "--site-dir", str(site_dir), cwd=TEMPLATE_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    return site_dir


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


class Tags(HTMLParser):
    """The tags of a page with their attributes, and the ids an anchor can point at."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.ids.add(attributes["id"])


def parse(page: Path) -> Tags:
    tags = Tags()
    tags.feed(page.read_text(encoding="utf-8"))
    return tags


def is_external(url: str) -> bool:
    return bool(urlsplit(url).scheme) or url.startswith("//")


def test_the_network_guard_refuses_connections(tmp_path):
    script = tmp_path / "connect.py"
    script.write_text("import socket\nsocket.create_connection(('127.0.0.1', 9))\n")
    result = offline(str(script), cwd=tmp_path)
    assert result.returncode != 0 and "network blocked" in result.stderr


def test_make_docs_builds_the_site_offline_and_strict(site):
    assert (site / "index.html").is_file() and (site / "search" / "search_index.json").is_file()
    assert "make docs" in (TEMPLATE_DIR / "Makefile").read_text()


def test_no_page_loads_a_script_stylesheet_or_font_from_elsewhere(site):
    loaded = []
    for page in pages(site):
        for tag, attributes in parse(page).tags:
            if tag in {"script", "img", "iframe", "source"}:
                loaded.append((page, attributes.get("src", "")))
            elif tag == "link" and attributes.get("rel") not in {"canonical", "prev", "next"}:
                loaded.append((page, attributes.get("href", "")))
        loaded += [(page, url) for url in re.findall(r"url\((['\"]?)(.*?)\1\)", page.read_text())]
    for stylesheet in site.rglob("*.css"):
        text = re.sub(r"/\*.*?\*/", "", stylesheet.read_text(encoding="utf-8"), flags=re.DOTALL)
        loaded += [(stylesheet, url) for _, url in re.findall(r"url\((['\"]?)(.*?)\1\)", text)]
        loaded += [(stylesheet, url) for url in re.findall(r"@import\s+['\"]([^'\"]+)", text)]
    external = [(str(path.relative_to(site)), url) for path, url in loaded if is_external(url)]
    external = [(path, url) for path, url in external if not url.startswith("data:")]
    assert not external, external
    assert len(loaded) > 3 * len(pages(site))  # the scan saw the theme's own assets


def test_every_internal_link_and_anchor_resolves(site):
    broken = []
    for page in pages(site):
        for tag, attributes in parse(page).tags:
            url = attributes.get("href") if tag in {"a", "link"} else attributes.get("src")
            if not url or is_external(url) or url.startswith(("mailto:", "javascript:")):
                continue
            parts = urlsplit(url)
            # 404.html links from the site's root, where a server shows it; the rest relatively.
            base = site if parts.path.startswith("/") else page.parent
            target = (base / unquote(parts.path).lstrip("/")).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {url}")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in parse(target).ids:
                broken.append(f"{page.relative_to(site)} -> {url} (no such anchor)")
    assert not broken, "\n".join(broken)


def nav_files(nav) -> set[str]:
    found = set()
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        found |= nav_files(value) if isinstance(value, list) else {value}
    return found


def test_every_page_is_in_the_navigation_and_reachable_from_home(site):
    config = yaml.safe_load((TEMPLATE_DIR / "mkdocs.yml").read_text(encoding="utf-8"))
    sources = {
        str(path.relative_to(DOCS_DIR))
        for path in DOCS_DIR.rglob("*.md")
        if not EXCLUDED_FROM_SITE.intersection(path.relative_to(DOCS_DIR).parts)
    }
    assert nav_files(config["nav"]) == sources

    # Follow the links of the built site from its home page: every page is met.
    seen, queue = set(), [site / "index.html"]
    while queue:
        page = queue.pop()
        if page in seen or not page.is_file():
            continue
        seen.add(page)
        for tag, attributes in parse(page).tags:
            url = attributes.get("href", "")
            if tag == "a" and url and not is_external(url) and urlsplit(url).path.endswith(".html"):
                queue.append((page.parent / unquote(urlsplit(url).path)).resolve())
    built = {page.resolve() for page in pages(site) if page.name != "404.html"}
    assert built - seen == set()
    assert len(built) == len(sources)


def solution_texts(root: Path = TEMPLATE_DIR) -> set[str]:
    """The distinctive lines inside every solution region of the template, and its canaries."""
    texts = set()
    skipped = {".git", ".venv", ".tools", "build", "docs", "tests", "__pycache__"}
    for path in root.rglob("*"):
        if not path.is_file() or skipped.intersection(path.relative_to(root).parts):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        texts |= set(re.findall(r"SOLUTION-CANARY-[\w-]+", text))
        for region in re.findall(r"BEGIN SOLUTION(.*?)END SOLUTION", text, flags=re.DOTALL):
            lines = (line.strip(" \t-#;") for line in region.splitlines())
            texts |= {line for line in lines if len(line) >= 25}
    return texts


def site_text(site: Path) -> str:
    return "\n".join(
        html.unescape(path.read_text(encoding="utf-8"))
        for path in site.rglob("*")
        if path.is_file() and path.suffix in {".html", ".json", ".js", ".xml", ".txt"}
    )


def test_no_assignment_solution_reaches_the_site(site):
    text = site_text(site)
    assert not leaks(text, solution_texts())


def leaks(text: str, solutions: set[str]) -> list[str]:
    markers = [marker for marker in ("BEGIN SOLUTION", "END SOLUTION", "SOLUTION-CANARY") if marker in text]
    return markers + sorted(line for line in solutions if line in text)


def test_the_leak_scan_finds_planted_solution_text(tmp_path):
    """The scan above is not vacuous: a page quoting one line of a solution region is caught."""
    (tmp_path / "template" / "dbt").mkdir(parents=True)
    (tmp_path / "template" / "dbt" / "answer.sql").write_text(
        "select\n-- BEGIN SOLUTION\n-- SOLUTION-CANARY-T-0001\n    sum(net_revenue) as planted_weekly_revenue\n"
        "-- END SOLUTION\nfrom orders\n"
    )
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "page.html").write_text("<pre>sum(net_revenue) as planted_weekly_revenue</pre>")
    solutions = solution_texts(tmp_path / "template")
    assert solutions == {"SOLUTION-CANARY-T-0001", "sum(net_revenue) as planted_weekly_revenue"}
    assert leaks(site_text(tmp_path / "site"), solutions) == ["sum(net_revenue) as planted_weekly_revenue"]


def test_the_options_page_is_generated_from_cookiecutter_json(site):
    page = html.unescape((site / "options.html").read_text(encoding="utf-8"))
    rows = re.findall(r"<tr>\s*<td><code>(\w+)</code></td>\s*<td>(.*?)</td>", page, flags=re.DOTALL)
    options = [name for name in CONTEXT if not name.startswith("_")]
    assert [name for name, _ in rows] == options
    for name, question in rows:
        prompt = CONTEXT["__prompts__"][name]
        assert question.strip() == (prompt if isinstance(prompt, str) else prompt["__prompt__"])


def test_the_options_page_refuses_sources_that_disagree(tmp_path, monkeypatch):
    context = dict(CONTEXT, include_planted_option=True)
    (tmp_path / "cookiecutter.json").write_text(json.dumps(context))
    shutil.copy(TEMPLATE_DIR / "README.md", tmp_path / "README.md")
    monkeypatch.setattr(mkdocs_hooks, "TEMPLATE_DIR", tmp_path)
    with pytest.raises(mkdocs_hooks.DocsSourceError, match="include_planted_option"):
        mkdocs_hooks.options_table()


def test_pages_quote_figures_only_through_the_recorded_run():
    """Prose takes its KPIs from docs/figures/demo-kpis.txt (compared with a fresh run in
    test_quoted_figures.py); no page types one in by hand."""
    figures = re.findall(r"\$?[\d,]+\.\d+%?|\d{1,3}(?:,\d{3})+", mkdocs_hooks.demo_kpis())
    assert len(figures) >= 6
    for page in DOCS_DIR.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        assert not [figure for figure in figures if figure in text], page
    assert mkdocs_hooks.kpi("Orders") and mkdocs_hooks.kpi("Revenue").startswith("$")
