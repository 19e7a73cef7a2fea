"""Finish the generated project: prune what the answers switched off, copy the notebooks, say what next.

Files that an option adds or removes are listed here, one function per option;
lines inside shared files (Makefile, README, pyproject.toml) are switched in the
template itself with Jinja if-blocks on the same answers.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

PROJECT_DIR = Path.cwd()
TEMPLATE_DIR = Path({{ template_dir | tojson }})  # from local_extensions.py
PROJECT_SLUG = {{ cookiecutter.project_slug | tojson }}
ANSWERS = {"package_name": {{ cookiecutter.package_name | tojson }}, "project_slug": PROJECT_SLUG}
PACKAGE_DIR = f"src/{ANSWERS['package_name']}"
INCLUDE_AWS = {{ "True" if cookiecutter.include_aws else "False" }}
INCLUDE_NOTEBOOKS = {{ "True" if cookiecutter.include_notebooks else "False" }}
INCLUDE_AIRFLOW = {{ "True" if cookiecutter.include_airflow else "False" }}
INCLUDE_DASHBOARD = {{ "True" if cookiecutter.include_dashboard else "False" }}
INCLUDE_QUALITY = {{ "True" if cookiecutter.include_quality else "False" }}
EDITION = {{ cookiecutter.edition | tojson }}
# The parts a notebook can require (notebooks/course.toml: requires).
INCLUDED_PARTS = {
    "aws": INCLUDE_AWS,
    "airflow": INCLUDE_AIRFLOW,
    "dashboard": INCLUDE_DASHBOARD,
    "quality": INCLUDE_QUALITY,
}


def remove(*relative_paths: str) -> None:
    for relative in relative_paths:
        path = PROJECT_DIR / relative
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def add_notebooks() -> None:
    """Write the course notebooks from their one source, the template's notebooks/ folder.

    Each notebook is kept there as text (notebooks/<name>.py, jupytext's percent
    format) and written here as notebooks/<name>.ipynb, in the order of
    notebooks/course.toml. A notebook whose part was switched off is left out, and
    the course map (notebooks/README.md) says so. Nothing project-specific goes into
    a notebook: it finds the package when it runs (notebooks/lesson.py).
    """
    sys.path.insert(0, str(TEMPLATE_DIR / "hooks"))
    from percent_notebooks import convert

    source = TEMPLATE_DIR / "notebooks"
    target = PROJECT_DIR / "notebooks"
    target.mkdir(exist_ok=True)
    course = tomllib.loads((source / "course.toml").read_text(encoding="utf-8"))["notebook"]
    baked = [entry for entry in course if not entry["requires"] or INCLUDED_PARTS[entry["requires"]]]
    for entry in baked:
        text = (source / f"{entry['file']}.py").read_text(encoding="utf-8")
        (target / f"{entry['file']}.ipynb").write_text(convert(text, INCLUDED_PARTS), encoding="utf-8")
    shutil.copy2(source / "lesson.py", target / "lesson.py")
    if (source / "sql").is_dir():
        shutil.copytree(source / "sql", target / "sql", dirs_exist_ok=True)
    (target / "README.md").write_text(course_map(course, baked), encoding="utf-8")


def course_map(course: list[dict], baked: list[dict]) -> str:
    """notebooks/README.md: the notebooks in order, with time, prerequisites and what each teaches."""
    rows = []
    for number, entry in enumerate(course, start=1):
        if entry in baked:
            name = f"[{entry['file']}]({entry['file']}.ipynb)"
            rows.append(
                f"| {number} | {name} | {entry['title']} | {entry['minutes']} min | {entry['prerequisites']} "
                f"| {entry['teaches']} | {entry['assignment'] or '-'} |"
            )
        else:
            rows.append(f"| {number} | - | {entry['title']} | - | - | not in this project: its part was switched off | - |")
    minutes = sum(entry["minutes"] for entry in baked)
    return (
        "# The course notebooks\n\n"
        "One layer of the pipeline a sitting, in this order. Open them with `make notebooks`\n"
        "(JupyterLab), run the cells top to bottom, then try each notebook's *Your turn*.\n"
        "Each notebook works in its own folder under `data/notebooks/` and only reads the\n"
        "pipeline's warehouse (run `make demo` first), so you can break things freely:\n"
        "re-running a notebook starts it afresh.\n\n"
        "| # | Notebook | Topic | Time | Before it | What it teaches | Then |\n"
        "|---|---|---|---|---|---|---|\n" + "\n".join(rows) + f"\n\n{minutes // 60} h {minutes % 60:02d} min in all.\n"
    )


def remove_notebooks() -> None:
    remove("notebooks", "tests/test_notebooks.py")


def remove_aws() -> None:
    """Without AWS the pipeline stays local: the lake, live mode and late/duplicate delivery remain."""
    remove(
        "infra/aws",
        f"{PACKAGE_DIR}/ingest/handler.py",
        f"{PACKAGE_DIR}/ingest/aws_sinks.py",
        f"{PACKAGE_DIR}/ingest/lambda_zip.py",
        f"{PACKAGE_DIR}/ingest/deploy.py",
        "tests/test_handler.py",
        "tests/test_infra.py",
        "tests/test_lambda_zip.py",
    )


def remove_airflow() -> None:
    """Without Airflow the same steps run from make and the CLI; the dbt graph reader serves only the DAGs,
    and assignment A5 is a DAG (the assignment list, its README table and framework.py follow the option)."""
    tests = [str(p.relative_to(PROJECT_DIR)) for p in (PROJECT_DIR / "tests").glob("test_airflow*.py")]
    remove(
        "airflow",
        f"{PACKAGE_DIR}/warehouse/dbt_graph.py",
        "tests/test_dbt_graph.py",
        "assignments/a5_kpi_snapshots",
        *tests,
    )


def remove_dashboard() -> None:
    remove("dashboard", *(str(p.relative_to(PROJECT_DIR)) for p in (PROJECT_DIR / "tests").glob("test_dashboard*.py")))


def remove_quality() -> None:
    """Without Great Expectations the publish gate is dbt's tests alone; the gate, faults and chaos report stay."""
    tests = [str(p.relative_to(PROJECT_DIR)) for p in (PROJECT_DIR / "tests").glob("test_quality*.py")]
    remove(f"{PACKAGE_DIR}/quality/expectations", *tests)


def make_student_edition() -> None:
    """Strip the assignments' solutions and drop hidden checks and the course salt (see scripts/course_editions.py)."""
    sys.path.insert(0, str(TEMPLATE_DIR / "scripts"))
    from course_editions import make_student_edition as strip_to_student_edition

    strip_to_student_edition(PROJECT_DIR)


def relock() -> None:
    """The shipped uv.lock matches the default answers; re-resolve it when dependencies were pruned."""
    uv = shutil.which("uv")
    if uv is None:
        print("Note: uv is not on PATH; `make install` will update uv.lock to the pruned dependencies.")
        return
    result = subprocess.run([uv, "lock", "--quiet"], cwd=PROJECT_DIR, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"Note: `uv lock` failed ({result.stderr.strip()}); `make install` will retry it.")


def init_git() -> None:
    """Make the project a git repository with its files staged, so `pre-commit run --all-files` checks them
    at once. Left alone without git, or inside a repository already (a project baked into a monorepo)."""
    git = shutil.which("git")
    if git is None:
        print("Note: git is not on PATH; run `git init` in the project before `pre-commit run`.")
        return
    inside = subprocess.run([git, "rev-parse", "--is-inside-work-tree"], cwd=PROJECT_DIR, capture_output=True)
    if inside.returncode == 0:
        return
    for command in (["init", "--quiet"], ["add", "--all"]):
        result = subprocess.run([git, *command], cwd=PROJECT_DIR, capture_output=True, text=True)
        if result.returncode != 0:
            print(f"Note: `git {' '.join(command)}` failed ({result.stderr.strip()}); the project is not a repository.")
            return


def print_next_steps() -> None:
    print(
        f"\nCreated {PROJECT_DIR}\n\n"
        "Next steps:\n"
        f"  cd {PROJECT_SLUG}\n"
        "  make demo    # install, generate events, load, dbt build, print the KPIs\n"
        "  make test    # run the project's fast tests (make test-all: every test)\n"
        "  make help    # every other target\n"
    )


def main() -> int:
    if not INCLUDE_AWS:
        remove_aws()
    if INCLUDE_NOTEBOOKS:
        add_notebooks()
    else:
        remove_notebooks()
    if not INCLUDE_AIRFLOW:
        remove_airflow()
    if not INCLUDE_DASHBOARD:
        remove_dashboard()
    if not INCLUDE_QUALITY:
        remove_quality()
    # After the pruning: the student edition records the starters of the assignments this bake has.
    if EDITION == "student":
        make_student_edition()
    if not (INCLUDE_AWS and INCLUDE_NOTEBOOKS and INCLUDE_AIRFLOW and INCLUDE_DASHBOARD and INCLUDE_QUALITY):
        relock()
    init_git()
    print_next_steps()
    return 0


if __name__ == "__main__":
    sys.exit(main())
