"""What students and instructors read: the check table, feedback files, grades.csv and autograder JSON.

Feedback names each part and the sentence its check raised: never a check's code.
The JSON follows the results shape Gradescope's autograder reads (score, tests
with name, score, max_score, status, output), which GitHub Classroom tooling reads too.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from .framework import Assignment, Outcome


def table(outcomes: list[Outcome]) -> str:
    rows = [("Assignment", "Part", "Kind", "Status", "Points")]
    for outcome in outcomes:
        part = outcome.part
        graded = outcome.status in ("passed", "failed")
        points = f"{outcome.score}/{part.points}" if graded else f"{part.points} available"
        kind = "hidden" if part.hidden else "public"
        rows.append((f"{part.assignment.label} {part.assignment.title}", part.name, kind, outcome.status, points))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def check_summary(outcomes: list[Outcome]) -> str:
    public = [o for o in outcomes if not o.part.hidden]
    hidden_points = sum(o.part.points for o in outcomes if o.part.hidden)
    passed = sum(o.score for o in public)
    lines = [f"Public checks: {passed} of {sum(o.part.points for o in public)} points."]
    for outcome in public:
        if outcome.status == "failed":
            lines.append(f"  {outcome.part.assignment.label} {outcome.part.name}: {outcome.message}")
    if hidden_points:
        lines.append(
            f"Hidden checks ({hidden_points} points) run only at grading, on data the grader rebuilds from "
            "your seed: passing the public checks does not mean full marks."
        )
    return "\n".join(lines)


def feedback(student_id: str, seed: int, outcomes: list[Outcome], seconds: float) -> str:
    total = sum(o.score for o in outcomes)
    available = sum(o.part.points for o in outcomes)
    lines = [f"Feedback for {student_id}: {total} of {available} points (graded on seed {seed})", ""]
    for outcome in outcomes:
        kind = "hidden" if outcome.part.hidden else "public"
        lines.append(
            f"[{outcome.status}] {outcome.part.assignment.label} {outcome.part.name} "
            f"({kind}, {outcome.score}/{outcome.part.points})"
        )
        if outcome.message:
            lines.append(f"    {outcome.message}")
    lines += ["", f"Graded in {seconds:.1f} s."]
    return "\n".join(lines) + "\n"


def autograder_json(outcomes: list[Outcome], message: str = "") -> dict:
    return {
        "score": sum(o.score for o in outcomes),
        "output": message,
        "tests": [
            {
                "name": f"{o.part.assignment.label} {o.part.name}",
                "score": o.score,
                "max_score": o.part.points,
                "status": "passed" if o.status == "passed" else "failed",
                "output": o.message,
                "visibility": "visible",
            }
            for o in outcomes
        ],
    }


def write_results(out: Path, assignments: list[Assignment], graded: list[dict]) -> Path:
    """grades.csv (one row per student, a column per assignment), feedback/<id>.txt and results/<id>.json."""
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    (out / "results").mkdir(parents=True, exist_ok=True)
    grades = out / "grades.csv"
    with grades.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student_id", "submission", *[a.label for a in assignments], "total", "max", "seconds"])
        for entry in graded:
            outcomes = entry["outcomes"]
            per_assignment = [sum(o.score for o in outcomes if o.part.assignment == a) for a in assignments]
            writer.writerow(
                [
                    entry["student_id"],
                    entry["submission"],
                    *per_assignment,
                    sum(per_assignment),
                    sum(o.part.points for o in outcomes),
                    f"{entry['seconds']:.1f}",
                ]
            )
            name = safe_name(entry["student_id"])
            (out / "feedback" / f"{name}.txt").write_text(
                feedback(entry["student_id"], entry["seed"], outcomes, entry["seconds"]), encoding="utf-8"
            )
            (out / "results" / f"{name}.json").write_text(
                json.dumps(autograder_json(outcomes, entry["message"]), indent=2) + "\n", encoding="utf-8"
            )
    return grades


def safe_name(student_id: str) -> str:
    """A file name for a student id: letters, digits, dots, hyphens and underscores kept, the rest replaced."""
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in student_id) or "student"
