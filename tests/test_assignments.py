"""Course assignments: two editions from one marked source, a seed per student, `make check`, `make grade`, no leaks.

The heavy half bakes the instructor edition and grades four kinds of submission:
the reference solutions on the seeds of 4 students (full marks; `make
test-assignments-long`: 20), one plausible wrong answer per assignment on 3 of
them (points lost on every assignment; all 20 in the long run), the starters
(0, and they build), and the wrong answer with every check file rewritten to
pass (the same score: grading never reads a submission's checks). Baked
projects share the default bake's environment.
"""

from __future__ import annotations

import concurrent.futures
import csv
import itertools
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import TEMPLATE_DIR, bake, bake_cli, course_editions, run, uv_executable

SALT = "template-selftest-salt-7c1e"
# Four: on 2 cores, `make grade` builds and grades them in two full rounds of two.
STUDENTS = [f"s{n:02d}" for n in range(1, int(os.environ.get("COURSE_SELFTEST_STUDENTS", "4")) + 1)]
# The wrong answers are graded on the first three of those seeds (on all of them in the long run): enough to
# show they lose points whatever the data.
WRONG_STUDENTS = STUDENTS if len(STUDENTS) > 4 else STUDENTS[:3]
CANARY = re.compile(r"SOLUTION-CANARY-[A-Z0-9]+-[0-9a-f]{8}")
PROJECT_SOURCE = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
ASSIGNMENTS = ("A0", "A1", "A2", "A3", "A4", "A5")
NOT_COPIED = shutil.ignore_patterns(".venv", "data", "target", "logs", "__pycache__")

# One plausible mistake per assignment, as (file, correct text, wrong text) in the instructor edition.
WRONG_ANSWERS = [
    # A0: every order's total, cancelled ones included, instead of net revenue.
    (
        "dbt/models/assignments/asg_daily_revenue.sql",
        "        net_revenue,\n",
        "        total_amount as net_revenue,\n",
    ),
    # A1: every order placed converts the session, even when its payment failed.
    ("dbt/models/assignments/asg_channel_conversion.sql", "    where is_revenue\n", ""),
    # A2: the test looks only at orders still paid or shipped.
    (
        "dbt/tests/assignments/assert_no_order_paid_before_created.sql",
        "where paid_at < order_created_at",
        "where order_status in ('paid', 'fulfilled') and paid_at < order_created_at",
    ),
    # A3: the marts as well, and no future tables.
    (
        "infra/snowflake/assignments/analyst_role.sql",
        "grant select on future tables in schema ecommerce.analytics to role analyst;",
        "grant select on all tables in schema ecommerce.marts to role analyst;",
    ),
    # A4: recounts only the latest hours, so late events in earlier hours are lost.
    (
        "dbt/models/assignments/asg_hourly_event_counts.sql",
        "where event_hour in (select touched_hours.event_hour from touched_hours)",
        "where event_hour >= (select max(event_hour) from {{ this }})",
    ),
    # A5: inserts the day's row without replacing the one an earlier run wrote, so a re-run fails.
    (
        "airflow/dags/daily_kpi_snapshots.py",
        '            con.execute("delete from kpi_snapshots.daily_kpis where kpi_date = cast(? as date)", [day])\n',
        "",
    ),
]


def is_marker(line: str) -> bool:
    return course_editions.MARKER.match(line) is not None


def marked_files(root: Path):
    for path, text in course_editions.text_files(root):
        if any(is_marker(line) for line in text.splitlines()):
            yield path, text


def solution_regions(text: str) -> list[str]:
    return re.findall(r"BEGIN SOLUTION\n(.*?)END SOLUTION", text, re.DOTALL)


SOURCE_CANARIES = sorted({c for _, text in marked_files(PROJECT_SOURCE) for c in CANARY.findall(text)})


def leaks(root: Path, salt: str) -> list[str]:
    """Everything under root that only the instructor may see: solution text, markers, hidden checks, the salt."""
    found = [
        f"{path.relative_to(root)}: hidden checks or salt file"
        for path in root.rglob("*")
        if path.name == "hidden_checks.py" or "instructor" in path.relative_to(root).parts
    ]
    for path, text in course_editions.text_files(root):
        found += [f"{path.relative_to(root)}: {c}" for c in SOURCE_CANARIES if c in text]
        found += [f"{path.relative_to(root)}: marker {line}" for line in text.splitlines() if is_marker(line)]
        if salt in text:
            found.append(f"{path.relative_to(root)}: the course salt")
    return found


def test_every_solution_region_carries_its_own_canary():
    regions = [r for _, text in marked_files(PROJECT_SOURCE) for r in solution_regions(text)]
    assert len(regions) >= 5
    canaries = [CANARY.findall(region) for region in regions]
    assert all(len(found) == 1 for found in canaries), canaries
    assert len(SOURCE_CANARIES) == len(regions)


def test_stripping_drops_solutions_and_uncomments_starters():
    text = "a\n-- BEGIN SOLUTION\nsecret\n-- END SOLUTION\n-- BEGIN STARTER\n-- select 1\n--\n-- END STARTER\nb\n"
    assert course_editions.strip_solutions(text) == "a\nselect 1\n\nb\n"
    indented = "x:\n  # BEGIN SOLUTION\n  y: 1\n  # END SOLUTION\n  # BEGIN STARTER\n  # y: 0\n  # END STARTER\n"
    assert course_editions.strip_solutions(indented) == "x:\n  y: 0\n"
    for broken in ("-- BEGIN SOLUTION\nx\n", "-- END SOLUTION\n", "# BEGIN STARTER\nnot a comment\n# END STARTER\n"):
        with pytest.raises(course_editions.MarkerError):
            course_editions.strip_solutions(broken)


@pytest.fixture(scope="module")
def student_bake(tmp_path_factory) -> Path:
    return bake(tmp_path_factory.mktemp("student"), student_id="s01", course_salt=SALT)


def test_the_student_edition_leaks_nothing(student_bake):
    assert leaks(student_bake, SALT) == []
    starters = json.loads((student_bake / "assignments/starters.json").read_text())
    assert len(starters) == 7 and all((student_bake / name).is_file() for name in starters)
    assert "grade:" not in (student_bake / "Makefile").read_text()


def test_the_course_release_leaks_nothing_and_bakes_the_same_student_edition(student_bake, tmp_path):
    fork = tmp_path / "fork"  # the instructor's private fork: its cookiecutter.json holds the salt
    for source in course_editions.tracked_files(TEMPLATE_DIR):
        target = fork / source.relative_to(TEMPLATE_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    options = json.loads((fork / "cookiecutter.json").read_text())
    (fork / "cookiecutter.json").write_text(json.dumps({**options, "course_salt": SALT}, indent=2))
    release = tmp_path / "release"
    run(["make", "course-release", f"DEST={release}"], cwd=fork)

    assert leaks(release, SALT) == []
    assert not (release / "tests").exists() and (release / "hooks" / "post_gen_project.py").is_file()
    released_options = json.loads((release / "cookiecutter.json").read_text())
    assert released_options["edition"] == ["student"] and released_options["course_salt"] == ""
    log = run(["git", "log", "--oneline"], cwd=release).stdout.splitlines()
    assert len(log) == 1

    baked = Path(
        __import__("cookiecutter.main").main.cookiecutter(
            str(release), no_input=True, extra_context={"student_id": "s01"}, output_dir=str(tmp_path / "bake")
        )
    )
    assert leaks(baked, SALT) == []
    for name in json.loads((student_bake / "assignments/starters.json").read_text()):
        assert (baked / name).read_text() == (student_bake / name).read_text(), name
    assert (baked / "assignments/starters.json").read_text() == (student_bake / "assignments/starters.json").read_text()


def test_the_instructor_edition_needs_a_course_salt(tmp_path):
    result = bake_cli(tmp_path, "edition=instructor", "course_salt=short")
    assert result.returncode != 0
    expected = "ERROR: course_salt = 'short' is invalid: the instructor edition needs a private course salt"
    assert expected in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_invalid_student_id_is_refused(tmp_path):
    result = bake_cli(tmp_path, "student_id=Ada Lovelace")
    assert result.returncode != 0 and "ERROR: student_id = 'Ada Lovelace' is invalid" in result.stderr


def share_environment(project: Path, default_project: Path) -> Path:
    """The editions differ only outside the package: the default bake's environment serves them."""
    (project / ".venv").symlink_to(default_project / ".venv")
    return project


def grading(project: Path, *args: str) -> subprocess.CompletedProcess:
    """`make check`, `make grade`, `make course-roster` run this (make's uv run would re-sync the shared .venv)."""
    return subprocess.run(
        [str(project / ".venv/bin/python"), "-m", "assignments.grading", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=3600,
    )


def test_make_check_in_the_student_edition_lists_every_assignment_as_not_started(student_bake, default_project):
    project = share_environment(student_bake, default_project)
    assert "-m assignments.grading check" in run(["make", "-n", "check", f"UV={uv_executable()}"], cwd=project).stdout
    result = grading(project, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if re.match(r"A\d ", line)]
    assert {row[:2] for row in rows} == set(ASSIGNMENTS)
    assert all(re.search(r"\s(public|hidden)\s+not started\s+\d+ available$", row) for row in rows), rows
    assert re.search(r"Hidden checks \(\d+ points\) run only at grading", result.stdout)
    assert "all passed" not in result.stdout.lower()


@pytest.fixture(scope="module")
def instructor(default_project, tmp_path_factory) -> Path:
    project = bake(tmp_path_factory.mktemp("instructor"), edition="instructor", course_salt=SALT)
    return share_environment(project, default_project)


def submission_folder(instructor: Path, student_bake: Path, root: Path) -> Path:
    """full (the reference solutions, also zipped), wrong (WRONG_ANSWERS), starter, edited (wrong, checks rewritten)."""
    shutil.copytree(instructor, root / "full", ignore=NOT_COPIED)
    with zipfile.ZipFile(root / "zipped.zip", "w") as archive:
        for path in sorted((root / "full").rglob("*")):
            archive.write(path, Path("ecommerce-analytics-main") / path.relative_to(root / "full"))
    shutil.copytree(root / "full", root / "wrong")
    for name, right, wrong in WRONG_ANSWERS:
        text = (root / "wrong" / name).read_text()
        assert right in text, name
        (root / "wrong" / name).write_text(text.replace(right, wrong))
    shutil.copytree(student_bake, root / "starter", ignore=NOT_COPIED)
    shutil.copytree(root / "wrong", root / "edited")
    for path in (root / "edited" / "assignments").rglob("*checks.py"):
        path.write_text(re.sub(r"(?m)^(    )(\S.*)$", r"\1return None  # \2", path.read_text()))
    for path in (root / "edited" / "tests").glob("*.py"):
        path.write_text("def test_nothing():\n    pass\n")
    return root


def grade(instructor: Path, submissions: Path, out: Path, rows: list[tuple[str, str]]) -> dict:
    roster = out.with_suffix(".csv")
    roster.write_text("student_id,submission\n" + "".join(f"{s},{sub}\n" for s, sub in rows))
    result = grading(instructor, "grade", "--submissions", str(submissions), "--roster", str(roster), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    with (out / "grades.csv").open() as handle:
        grades = {row["student_id"]: row for row in csv.DictReader(handle)}
    return {"stdout": result.stdout, "grades": grades, "out": out}


@pytest.fixture(scope="module")
def graded(instructor, student_bake, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("grading")
    submissions = submission_folder(instructor, student_bake, root / "submissions")
    full = [(s, "zipped" if s == STUDENTS[0] else "full") for s in STUDENTS]
    graded = {"full": grade(instructor, submissions, root / "full", full)}
    # That run built every seed's reference; the other gradings only read them, so they run at once.
    others = {
        "wrong": [(s, "wrong") for s in WRONG_STUDENTS],
        "starter": [(STUDENTS[0], "starter")],
        "edited": [(STUDENTS[0], "edited")],
    }
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(others)) as pool:
        runs = {name: pool.submit(grade, instructor, submissions, root / name, rows) for name, rows in others.items()}
        return graded | {name: run.result() for name, run in runs.items()}


def test_the_reference_solutions_score_full_marks_for_every_seed(graded):
    grades = graded["full"]["grades"]
    assert sorted(grades) == STUDENTS
    assert all(row["total"] == row["max"] for row in grades.values()), grades


def test_the_starters_score_zero_and_still_build(graded):
    (row,) = graded["starter"]["grades"].values()
    assert row["total"] == "0"
    feedback = (graded["starter"]["out"] / "feedback" / f"{STUDENTS[0]}.txt").read_text()
    assert "did not build" not in feedback and "was not built" not in feedback


def test_a_plausible_wrong_answer_loses_points_on_every_assignment_for_every_seed(graded):
    full, wrong = graded["full"]["grades"], graded["wrong"]["grades"]
    assert sorted(wrong) == WRONG_STUDENTS
    for student in WRONG_STUDENTS:
        lost = [a for a in ASSIGNMENTS if int(wrong[student][a]) < int(full[student][a])]
        assert lost == list(ASSIGNMENTS), (student, wrong[student])


def test_a_submission_that_edits_the_checks_gets_the_same_score(graded):
    assert graded["edited"]["grades"][STUDENTS[0]]["total"] == graded["wrong"]["grades"][STUDENTS[0]]["total"]


def test_feedback_names_parts_and_messages_never_check_code(graded, instructor):
    hidden_code = [
        line.strip()
        for path in (instructor / "assignments").rglob("hidden_checks.py")
        for line in path.read_text().splitlines()
        if len(line.strip()) > 12 and not line.strip().startswith(("#", '"""', "from ", "import "))
    ]
    out = graded["wrong"]["out"]
    for path in itertools.chain((out / "feedback").glob("*.txt"), (out / "results").glob("*.json")):
        text = path.read_text()
        assert [line for line in hidden_code if line in text] == [], path.name
    result = json.loads((out / "results" / f"{STUDENTS[0]}.json").read_text())
    assert set(result) == {"score", "output", "tests"}
    assert {"name", "score", "max_score", "status", "output", "visibility"} == set(result["tests"][0])
    assert result["score"] == int(graded["wrong"]["grades"][STUDENTS[0]]["total"])
    assert any(t["status"] == "failed" and t["output"] for t in result["tests"])


DATASET_DIGEST = """
import hashlib, sys
from datetime import datetime, timedelta, UTC
from ecommerce_analytics.ingest.generator import iter_event_lines
start = datetime(2025, 10, 1, tzinfo=UTC)
for seed in sys.argv[1:]:
    lines = (line for batch in iter_event_lines(int(seed), start, start + timedelta(hours=6)) for _, _, line in batch)
    print(hashlib.sha256("\\n".join(lines).encode()).hexdigest())
"""


REFERENCE_ANSWERS = """
import json, sys, duckdb
for path in sys.argv[1:]:
    with duckdb.connect(path, read_only=True) as con:
        print(json.dumps([con.sql(f"select * from assignments.{m} order by all").fetchall()
                          for m in ("asg_daily_revenue", "asg_channel_conversion")], default=str))
"""


def test_thirty_students_get_thirty_datasets_and_the_reference_answers_differ(instructor, graded):
    roster = instructor / "data" / "thirty.csv"
    roster.parent.mkdir(exist_ok=True)
    roster.write_text("student_id\n" + "".join(f"student-{n}\n" for n in range(30)))
    printed = grading(instructor, "roster", "--roster", str(roster))
    assert printed.returncode == 0, printed.stderr
    seeds = [line.split(",")[1] for line in printed.stdout.splitlines()[1:]]
    assert len(set(seeds)) == 30
    digests = run([str(instructor / ".venv/bin/python"), "-c", DATASET_DIGEST, *seeds], cwd=instructor)
    assert len(set(digests.stdout.split())) == 30  # their first six hours already differ

    references = sorted((instructor / "data/grading/reference").glob("*/warehouse.duckdb"))
    read = run([str(instructor / ".venv/bin/python"), "-c", REFERENCE_ANSWERS, *map(str, references)], cwd=instructor)
    answers = read.stdout.splitlines()
    assert len(answers) == len(STUDENTS) and len(set(answers)) == len(STUDENTS)
