"""Each student's seed: derived from the course salt and their student id, so no answer key is stored.

HMAC-SHA256(salt, student id) cannot be computed without the salt, which only the
instructor edition holds: a student cannot work out another student's seed, and
the grader recomputes each seed from the roster instead of trusting the one in a
submission. The instructor hands each student their seed as an access code
(`make course-roster`), and the student answers it at bake time.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
from pathlib import Path

SALT_FILE = Path(__file__).resolve().parents[1] / "instructor" / "course_salt.txt"


class CourseSetupError(Exception):
    """The instructor's files are missing or malformed: one sentence says which and what to do."""


def course_salt() -> str:
    if not SALT_FILE.is_file():
        raise CourseSetupError(
            f"{SALT_FILE} is missing: grading and rosters need the instructor edition (bake with edition=instructor)"
        )
    return SALT_FILE.read_text(encoding="utf-8").strip()


def derive_seed(salt: str, student_id: str) -> int:
    """A 15-digit seed from the salt and the student id (the id's case and surrounding spaces do not matter)."""
    digest = hmac.new(salt.encode(), student_id.strip().lower().encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:6], "big")


def read_roster(path: Path) -> list[dict[str, str]]:
    """Rows of a roster CSV: a student_id column, and a submission column naming their folder or zip
    (the student id when absent)."""
    if not path.is_file():
        raise CourseSetupError(f"roster {path} not found")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "student_id" not in rows[0]:
        raise CourseSetupError(f"roster {path} needs a header row with a student_id column")
    students = []
    for number, row in enumerate(rows, start=2):
        student_id = (row.get("student_id") or "").strip()
        if not student_id:
            raise CourseSetupError(f"roster {path}, line {number}: the student_id is empty")
        students.append({"student_id": student_id, "submission": (row.get("submission") or student_id).strip()})
    return students
