"""One marked source, two editions: strip solutions for students, and release a student-only template.

Solution regions are marked in the source, as nbgrader and otter-grader do:

    -- BEGIN SOLUTION     (`# BEGIN SOLUTION` in Python, YAML, Makefiles)
    ...the reference answer, with its canary line (a unique string the leak test looks for)...
    -- END SOLUTION       (markers stand alone on their line; these notes make them examples)
    -- BEGIN STARTER      (optional)
    -- ...what students start from, commented out so the instructor edition ignores it...
    -- END STARTER        (the student edition uncomments it in place of the solution)

The instructor edition keeps the file as written (solutions active, starters as
comments). The student edition drops each solution region and uncomments its
starter. Hidden checks are whole files (assignments/*/hidden_checks.py) and the
course salt lives in assignments/instructor/: the student edition has neither.

`python scripts/course_editions.py release DEST` writes a template repository
for students: the same files, stripped, without hidden checks, salt or the
template's own tests, and with `student` as the only edition.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

MARKER = re.compile(r"^[ \t]*(--|#)[ \t]*(BEGIN|END) (SOLUTION|STARTER)[ \t]*$")
COMMENTED = re.compile(r"^([ \t]*)(--|#) ?(.*)$", re.DOTALL)
# Inside a generated project: what exists only in the instructor edition.
INSTRUCTOR_ONLY = ("assignments/*/hidden_checks.py", "assignments/instructor")
# Inside a generated project: where the files students edit for the assignments live.
STARTER_GLOBS = (
    "dbt/models/assignments/*",
    "dbt/tests/assignments/*",
    "infra/snowflake/assignments/*",
    "airflow/dags/daily_kpi_snapshots.py",
)
# Inside the template: what a student release leaves out besides that. Its tests bake the
# instructor edition and grade the solutions: a release is for baking, not for working on the template.
TEMPLATE_ONLY = ("tests", ".ci")
PROJECT_FOLDER = "{{cookiecutter.project_slug}}"
SKIPPED_FOLDERS = {".git", ".venv", ".tools", "build", "__pycache__", ".pytest_cache", ".ruff_cache", "data"}


class MarkerError(ValueError):
    """Markers that do not pair up: a file that would leak or lose its solution."""


def strip_solutions(text: str, name: str = "<text>") -> str:
    """The student version of a marked text: solutions dropped, starters uncommented."""
    kept: list[str] = []
    region = None
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        marker = MARKER.match(line)
        if marker:
            edge, kind = marker.group(2), marker.group(3)
            if edge == "BEGIN" and region is None:
                region = kind
            elif edge == "END" and region == kind:
                region = None
            else:
                raise MarkerError(f"{name}:{number}: {edge} {kind} where {region or 'no region'} is open")
            continue
        if region == "SOLUTION":
            continue
        if region == "STARTER":
            commented = COMMENTED.match(line)
            if commented is None:
                raise MarkerError(f"{name}:{number}: a starter line must be a comment")
            indent, _, rest = commented.groups()
            line = indent + rest if rest.strip() else "\n"
        kept.append(line)
    if region is not None:
        raise MarkerError(f"{name}: {region} region not closed")
    return "".join(kept)


def text_files(root: Path):
    for path in sorted(root.rglob("*")):
        if path.is_file() and not SKIPPED_FOLDERS.intersection(path.relative_to(root).parts):
            try:
                yield path, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue


def strip_tree(root: Path) -> list[Path]:
    """Strip every marked file under root in place; returns the files changed."""
    changed = []
    for path, text in text_files(root):
        if not any(MARKER.match(line) for line in text.splitlines()):
            continue
        path.write_text(strip_solutions(text, str(path)), encoding="utf-8")
        changed.append(path)
    return changed


def remove_globs(root: Path, patterns: tuple[str, ...]) -> None:
    for pattern in patterns:
        for path in root.glob(pattern):
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def make_student_edition(project: Path) -> None:
    """Turn a baked project into the student edition, and record each graded file's starter for `make check`."""
    strip_tree(project)  # nothing to strip when baked from a release, which is stripped already
    remove_globs(project, INSTRUCTOR_ONLY)
    starters = {
        path.relative_to(project).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for pattern in STARTER_GLOBS
        for path in project.glob(pattern)
        if path.is_file()
    }
    (project / "assignments" / "starters.json").write_text(json.dumps(starters, indent=2, sort_keys=True) + "\n")


def tracked_files(template: Path) -> list[Path]:
    """The template's files that git tracks or would (or every file outside build folders when it is not a checkout)."""
    command = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    listed = subprocess.run(command, cwd=template, capture_output=True)
    if listed.returncode == 0 and listed.stdout:
        return [template / name for name in listed.stdout.decode().split("\0") if name]
    return [p for p in template.rglob("*") if p.is_file() and not SKIPPED_FOLDERS.intersection(p.parts)]


def release(template: Path, dest: Path) -> None:
    """Write a student-only template repository at dest (a new git repository with one commit)."""
    if dest.exists() and any(dest.iterdir()):
        raise SystemExit(f"Error: {dest} is not empty; give a new folder as DEST")
    dest.mkdir(parents=True, exist_ok=True)
    for source in tracked_files(template):
        target = dest / source.relative_to(template)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    remove_globs(dest, TEMPLATE_ONLY + tuple(f"{PROJECT_FOLDER}/{p}" for p in INSTRUCTOR_ONLY))
    strip_tree(dest)
    options_file = dest / "cookiecutter.json"
    options = json.loads(options_file.read_text(encoding="utf-8"))
    options["edition"] = ["student"]
    options["course_salt"] = ""
    options_file.write_text(json.dumps(options, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    git = ["git", "-c", "user.name=course-release", "-c", "user.email=course-release@localhost"]
    if shutil.which("git"):
        subprocess.run([*git, "init", "-q"], cwd=dest, check=True)
        subprocess.run([*git, "add", "-A"], cwd=dest, check=True)
        subprocess.run([*git, "commit", "-q", "-m", "Course release (student edition)"], cwd=dest, check=True)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "release":
        raise SystemExit("usage: python scripts/course_editions.py release DEST")
    release(Path(__file__).resolve().parents[1], Path(sys.argv[2]).resolve())
    print(f"Wrote the student release to {sys.argv[2]}: push it as the repository students bake from.")
