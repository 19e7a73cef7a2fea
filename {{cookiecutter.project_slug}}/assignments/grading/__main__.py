"""`python -m assignments.grading check|grade|roster`: what `make check`, `make grade` and `make course-roster` run."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import click

from {{ cookiecutter.package_name }}.processes import map_in_processes
from {{ cookiecutter.package_name }}.settings import Settings

from .framework import ASSIGNMENTS_DIR, Outcome, load_assignments, run_part
from .report import check_summary, table, write_results
from .seeds import CourseSetupError, course_salt, derive_seed, read_roster
from .submission import PROJECT_DIR, default_jobs, grade_in_worker, reference_for
from .workspace import WINDOW_END, WINDOW_START, BuildFailed, build_assignments, build_base

# The student edition records each graded file's starter here: an unchanged file is "not started".
STARTERS_FILE = ASSIGNMENTS_DIR / "starters.json"


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def not_started(assignment, project_dir: Path) -> bool:
    if not STARTERS_FILE.is_file():
        return False
    starters = json.loads(STARTERS_FILE.read_text(encoding="utf-8"))
    return all(starters.get(f) == file_digest(project_dir / f) for f in assignment.files)


@click.group()
def main() -> None:
    """Check and grade the course assignments."""


@main.command()
def check() -> None:
    """Run the public checks on your own data and print a table; hidden checks run only at grading."""
    seed = Settings.from_env().seed
    student = json.loads((ASSIGNMENTS_DIR / "student.json").read_text(encoding="utf-8"))["student_id"]
    click.echo(
        f"Checking the assignments of {student or 'this project'}: seed {seed}, "
        f"events {WINDOW_START:%Y-%m-%d} to {WINDOW_END:%Y-%m-%d} (building them takes about a minute)"
    )
    started = time.monotonic()
    warehouse = build_base(PROJECT_DIR, PROJECT_DIR / "data" / "assignments", seed)
    workspace = build_assignments(PROJECT_DIR, warehouse, seed)
    _, parts = load_assignments()
    outcomes = []
    for part in parts:
        if not_started(part.assignment, PROJECT_DIR):
            outcomes.append(Outcome(part, "not started"))
        elif part.hidden:
            outcomes.append(Outcome(part, "at grading"))
        else:
            outcomes.append(run_part(part, workspace))
    click.echo("\n" + table(outcomes) + "\n\n" + check_summary(outcomes))
    click.echo(f"Checked in {time.monotonic() - started:.0f} s.")
    if any(o.status == "failed" for o in outcomes):
        sys.exit(1)


@main.command()
@click.option("--submissions", type=click.Path(path_type=Path, file_okay=False), required=True)
@click.option("--roster", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default=PROJECT_DIR / "data" / "grading")
@click.option("--jobs", type=click.IntRange(min=1), default=default_jobs, help="Graded at once (default: one per core)")
def grade(submissions: Path, roster: Path, out: Path, jobs: int) -> None:
    """Grade every student of the roster: grades.csv, feedback/<id>.txt, results/<id>.json under --out."""
    salt, students = course_salt(), read_roster(roster)
    if not submissions.is_dir():
        raise CourseSetupError(f"submissions folder {submissions} not found")
    assignments, parts = load_assignments()
    if any(part.run is None for part in parts):
        raise CourseSetupError("hidden checks are missing: grade from the instructor edition")
    scratch = out / "work"
    scratch.mkdir(parents=True, exist_ok=True)
    seeds = [derive_seed(salt, student["student_id"]) for student in students]
    # Each seed's reference is built once (the builds side by side), then every submission is graded against it.
    distinct_seeds = list(dict.fromkeys(seeds))
    references = dict(zip(distinct_seeds, map_in_processes(reference_for, distinct_seeds, jobs), strict=True))
    jobs_to_grade = [
        (student, submissions.resolve(), references[seed], seed, scratch)
        for student, seed in zip(students, seeds, strict=True)
    ]
    graded = []
    for entry in map_in_processes(grade_in_worker, jobs_to_grade, jobs):
        entry["outcomes"] = [Outcome(part, *result) for part, result in zip(parts, entry["outcomes"], strict=True)]
        total = sum(o.score for o in entry["outcomes"])
        click.echo(
            f"{entry['student_id']}: {total}/{sum(p.points for p in parts)} in {entry['seconds']:.1f} s"
            + (f"  ({entry['message']})" if entry["message"] else "")
        )
        graded.append(entry)
    grades = write_results(out, assignments, graded)
    click.echo(f"Wrote {grades}, {out / 'feedback'}/ and {out / 'results'}/")


@main.command()
@click.option("--roster", type=click.Path(path_type=Path, dir_okay=False), required=True)
def roster(roster: Path) -> None:
    """Print student_id,seed for every student of the roster: each student's access code for the bake."""
    salt = course_salt()
    click.echo("student_id,seed")
    for student in read_roster(roster):
        click.echo(f"{student['student_id']},{derive_seed(salt, student['student_id'])}")


def run() -> None:
    """Entry point: a setup mistake or a failed build is one line, not a traceback."""
    try:
        main(standalone_mode=False)
    except (CourseSetupError, BuildFailed) as error:
        click.secho(f"Error: {error}", fg="red", err=True)
        sys.exit(1)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)


if __name__ == "__main__":
    run()
