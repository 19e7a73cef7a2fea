"""MkDocs hooks: fill the pages' generated parts from their one source, at build time.

- `<!-- options-table -->` becomes the options reference: each option's question and
  default from cookiecutter.json, and what it changes from the README's options table
  (which a template test keeps equal to cookiecutter.json).
- `<!-- demo-kpis -->` becomes the KPI summary that `make demo` printed, recorded in
  docs/figures/demo-kpis.txt (a template test compares that file with a fresh run), and
  `<!-- kpi: Name -->` one figure of it, so prose quotes the run, never memory.
- `<!-- notebook: 04_staging -->` becomes a box naming that notebook, with its title,
  sitting, what it teaches and what comes before, from the course map
  notebooks/course.toml (the one the bake and the project's notebooks/README.md use).

A marker with nothing to fill it fails the build.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
DEMO_KPIS = TEMPLATE_DIR / "docs" / "figures" / "demo-kpis.txt"
README_ROW = re.compile(r"^\| `(?P<name>\w+)` \| (?P<default>.*?) \| (?P<effect>.*) \|$", re.MULTILINE)
KPI_MARKER = re.compile(r"<!-- kpi: (?P<name>[A-Za-z ]+?) -->")
NOTEBOOK_MARKER = re.compile(r"<!-- notebook: (?P<file>\d\d_\w+) -->")
COURSE_MAP = TEMPLATE_DIR / "notebooks" / "course.toml"


class DocsSourceError(Exception):
    """A generated part of the docs has no source, or its sources disagree."""


def options() -> list[dict[str, str]]:
    """Every option: name, question, default, effect; in cookiecutter.json's order."""
    context = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text(encoding="utf-8"))
    prompts = context.get("__prompts__", {})
    readme = (TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    rows = {match["name"]: match for match in README_ROW.finditer(readme)}
    names = [name for name in context if not name.startswith("_")]
    if set(names) != set(rows) or set(names) != set(prompts):
        raise DocsSourceError(
            "cookiecutter.json, its __prompts__ and the README's options table list different options: "
            f"only in cookiecutter.json {sorted(set(names) - set(rows))}, "
            f"only in the README {sorted(set(rows) - set(names))}, "
            f"without a prompt {sorted(set(names) - set(prompts))}"
        )
    return [
        {
            "name": name,
            "question": prompts[name] if isinstance(prompts[name], str) else prompts[name].get("__prompt__", ""),
            "default": describe_default(context[name], rows[name]["default"]),
            "effect": rows[name]["effect"],
        }
        for name in names
    ]


def describe_default(value: object, readme_default: str) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return f"`{value[0]}` (choices: {', '.join(f'`{choice}`' for choice in value)})"
    if isinstance(value, str) and "{{" in value:
        return readme_default  # a value derived from other answers: the README says from which
    return f"`{value}`" if value != "" else "empty"


def options_table() -> str:
    lines = ["| Option | Question asked | Default | What it changes |", "|---|---|---|---|"]
    for option in options():
        lines.append(f"| `{option['name']}` | {option['question']} | {option['default']} | {option['effect']} |")
    return "\n".join(lines)


def demo_kpis() -> str:
    return DEMO_KPIS.read_text(encoding="utf-8").rstrip("\n")


def kpi(name: str) -> str:
    """One figure of the recorded KPI summary, by its label (e.g. "Orders")."""
    label = rf"{re.escape(name)}(?: \([^)]*\))?"  # "Revenue" names "Revenue (paid, not cancelled)"
    match = re.search(rf"^\s*{label}\s{{2,}}(?P<value>\S.*?)\s*$", demo_kpis(), re.MULTILINE)
    if not match:
        raise DocsSourceError(f"no KPI named {name!r} in {DEMO_KPIS.relative_to(TEMPLATE_DIR)}")
    return match["value"]


def notebook_box(file: str) -> str:
    """An admonition naming a notebook; what the course map knows about it, if it lists it yet."""
    course = tomllib.loads(COURSE_MAP.read_text(encoding="utf-8"))
    entry = next((notebook for notebook in course.get("notebook", []) if notebook["file"] == file), None)
    number = file.split("_", 1)[0]
    if entry is None:
        return (
            f'!!! note "Notebook {number}"\n'
            f"    `notebooks/{file}.ipynb` in your project (`make notebooks` opens JupyterLab); "
            "the project's course map, `notebooks/README.md`, lists the notebooks your course includes."
        )
    lines = [
        f'!!! note "Notebook {number}: {entry["title"]}"',
        f"    `notebooks/{file}.ipynb` in your project (`make notebooks` opens JupyterLab), "
        f"about {entry['minutes']} minutes.",
        "",
        f"    What it teaches: {entry['teaches']}.",
    ]
    if entry.get("prerequisites"):
        lines += ["", f"    Before it: {entry['prerequisites']}."]
    if entry.get("assignment"):
        lines += ["", f"    Then: assignment {entry['assignment']} (see `assignments/README.md`)."]
    if entry.get("requires"):
        lines += ["", f"    Only in projects baked with `include_{entry['requires']}`."]
    return "\n".join(lines)


def render(markdown: str) -> str:
    if "<!-- options-table -->" in markdown:
        markdown = markdown.replace("<!-- options-table -->", options_table())
    if "<!-- demo-kpis -->" in markdown:
        markdown = markdown.replace("<!-- demo-kpis -->", f"```text\n{demo_kpis()}\n```")
    markdown = NOTEBOOK_MARKER.sub(lambda match: notebook_box(match["file"]), markdown)
    return KPI_MARKER.sub(lambda match: kpi(match["name"]), markdown)


def on_page_markdown(markdown: str, **_: object) -> str:
    return render(markdown)
