"""The package's folders follow the pipeline, and no stage imports a later one.

ingest -> warehouse -> quality, in that order: the lake is all that ingest and the
warehouse share, and the audit (quality) tells the warehouse what to publish, not
the other way round. errors.py, settings.py, processes.py and contracts/ are
shared by every stage; the command line and the benchmarks sit on top and may
import anything.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from conftest import PROJECT_DIR

PACKAGE_DIR = next(path.parent for path in (PROJECT_DIR / "src").glob("*/__init__.py"))
PACKAGE = PACKAGE_DIR.name
STAGES = ("ingest", "warehouse", "quality")  # pipeline order
SHARED = {"", "errors", "settings", "contracts", "processes"}  # "" is the package's own __init__
TOOLING_RANK = len(STAGES)  # cli, bench: on top of every stage


def _rank(module: str) -> int | None:
    """Where a package-relative module sits in the pipeline (None: shared by all)."""
    top = module.split(".")[0]
    if top in SHARED:
        return None
    return STAGES.index(top) if top in STAGES else TOOLING_RANK


def _imports(path: Path, module: str) -> set[str]:
    """Package-relative names of the package modules `path` imports, lazy imports included."""
    package_parts = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".", 1)[1] for a in node.names if a.name.startswith(f"{PACKAGE}.")}
        elif isinstance(node, ast.ImportFrom) and node.level:
            base = package_parts[: len(package_parts) - (node.level - 1)]
            found.add(".".join([*base, *(node.module.split(".") if node.module else [])]))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == PACKAGE:
            found.add(node.module.partition(".")[2])
    return found


def backwards_imports(package_dir: Path) -> list[str]:
    """Every import of a later stage by an earlier one, as 'module -> imported module'."""
    found = []
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir).with_suffix("")
        module = ".".join(part for part in relative.parts if part != "__init__")
        own = _rank(module)
        for imported in sorted(_imports(path, module)):
            theirs = _rank(imported)
            if theirs is not None and (own is None or theirs > own):
                found.append(f"{module or '__init__'} -> {imported}")
    return found


def test_each_stage_has_its_folder():
    for stage in STAGES:
        assert (PACKAGE_DIR / stage / "__init__.py").is_file(), stage
    assert (PROJECT_DIR / "infra" / "snowflake").is_dir()
    # The package holds stages, shared modules and tooling; nothing else sits loose at its top.
    loose = {path.stem for path in PACKAGE_DIR.glob("*.py")} - {"__init__", "errors", "settings", "processes", "cli"}
    assert loose == set(), loose


def test_no_stage_imports_a_later_one():
    assert backwards_imports(PACKAGE_DIR) == []


def test_a_planted_backwards_import_is_found(tmp_path):
    """The check above can fail: plant an import of the warehouse into ingest and of quality into the warehouse."""
    copy = tmp_path / PACKAGE
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    lake = copy / "ingest" / "lake.py"
    lake.write_text(lake.read_text(encoding="utf-8") + "\nfrom ..warehouse.load import load_lake\n", encoding="utf-8")
    load = copy / "warehouse" / "load.py"
    load.write_text(
        load.read_text(encoding="utf-8") + f"\n\ndef later():\n    import {PACKAGE}.quality.gate\n", encoding="utf-8"
    )
    errors = copy / "errors.py"
    errors.write_text(
        errors.read_text(encoding="utf-8") + "\nfrom .ingest.lake import LocalLakeSink\n", encoding="utf-8"
    )
    assert backwards_imports(copy) == [
        "errors -> ingest.lake",
        "ingest.lake -> warehouse.load",
        "warehouse.load -> quality.gate",
    ]
