"""Grading one submission, and grading many side by side.

Each submission is graded in a temporary copy with a warehouse of its own, so
gradings share nothing but the reference builds (read only) and can run in
separate processes: `make grade` runs one per CPU core (`JOBS=`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

from .framework import ASSIGNMENTS_DIR, Outcome, Part, load_assignments, run_part
from .seeds import CourseSetupError
from .workspace import build_assignments, reference_warehouse

PROJECT_DIR = ASSIGNMENTS_DIR.parent
# Files a submission cannot change for grading: the grader's own connection profile and project settings.
TRUSTED_FILES = ("dbt/profiles.yml", "dbt/dbt_project.yml")
NOT_COPIED = shutil.ignore_patterns(".venv", ".tools", "data", "target", "logs", ".git", "__pycache__")
# The reference builds, kept between grading runs (rebuilt when the solutions change).
REFERENCE_DIR = PROJECT_DIR / "data" / "grading" / "reference"


def default_jobs() -> int:
    return os.cpu_count() or 1


def reference_for(seed: int) -> Path:
    """The reference warehouse of `seed` (built in a worker process when it is not built yet)."""
    return reference_warehouse(PROJECT_DIR, REFERENCE_DIR, seed)


def unpack(submission: Path, into: Path) -> Path:
    """A submission folder, or a zip of one (as GitHub and Gradescope download them), copied into `into`."""
    if submission.suffix == ".zip":
        with zipfile.ZipFile(submission) as archive:
            archive.extractall(into / "unzipped")
        found = [p.parents[1] for p in (into / "unzipped").rglob("dbt/dbt_project.yml")]
        if not found:
            raise CourseSetupError(f"{submission.name} holds no project (no dbt/dbt_project.yml)")
        submission = min(found, key=lambda p: len(p.parts))
    project = into / "project"
    shutil.copytree(submission, project, ignore=NOT_COPIED, symlinks=False)
    for name in TRUSTED_FILES:
        shutil.copyfile(PROJECT_DIR / name, project / name)
    return project


def find_submission(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.zip"):
        if candidate.exists():
            return candidate
    return None


def grade_one(student: dict, submissions: Path, reference: Path, seed: int, parts: list[Part], scratch: Path) -> dict:
    """Build one submission on a copy of its seed's reference warehouse and run every part on it."""
    started = time.monotonic()
    entry = {**student, "seed": seed, "message": ""}
    submission = find_submission(submissions, student["submission"])
    if submission is None:
        entry["message"] = f"no submission named {student['submission']} in {submissions}"
        outcomes = [Outcome(p, "failed", "no submission") for p in parts]
    else:
        with tempfile.TemporaryDirectory(dir=scratch) as work:
            try:
                project = unpack(submission, Path(work))
                warehouse = Path(work) / "warehouse" / reference.name
                warehouse.parent.mkdir()
                shutil.copyfile(reference, warehouse)
                workspace = build_assignments(project, warehouse, seed, reference=reference)
                outcomes = [run_part(part, workspace) for part in parts]
            except (CourseSetupError, zipfile.BadZipFile) as error:
                entry["message"] = str(error)
                outcomes = [Outcome(p, "failed", str(error)) for p in parts]
    entry["outcomes"] = outcomes
    entry["seconds"] = time.monotonic() - started
    return entry


def grade_in_worker(job: tuple[dict, Path, Path, int, Path]) -> dict:
    """`grade_one` in a worker process: the parts are loaded there, and each outcome comes back as
    (status, message), in the order of the parts (a check's function is not sent between processes)."""
    student, submissions, reference, seed, scratch = job
    _, parts = load_assignments()
    entry = grade_one(student, submissions, reference, seed, parts, scratch)
    entry["outcomes"] = [(o.status, o.message) for o in entry["outcomes"]]
    return entry
