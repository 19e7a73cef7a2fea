"""Build what the checks read: one seed's events over a few days, loaded and modelled by dbt.

The window is short on purpose: grading builds it once per student. The same
seed and window always give the same events (the generator is a pure function
of them), so the grader rebuilds exactly the data a student checked against.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from {{ cookiecutter.package_name }}.ingest.backfill import generate_to_lake
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.warehouse.dbt_runner import run_dbt_with_status
from {{ cookiecutter.package_name }}.warehouse.load import load_lake

WINDOW_START = datetime(2025, 10, 1, tzinfo=UTC)
WINDOW_END = datetime(2025, 10, 4, tzinfo=UTC)
ASSIGNMENT_NODES = ("path:models/assignments", "path:tests/assignments")
# The models the public checks compare with, built whatever a student's query reads.
{%- if cookiecutter.include_airflow %}
# (analytics_orders: the A5 DAG reads it, published, and dbt does not build what a DAG reads.)
CHECKED_MODELS = ("fct_orders", "analytics_sessions", "analytics_orders")
{%- else %}
CHECKED_MODELS = ("fct_orders", "analytics_sessions")
{%- endif %}
# Every warehouse is called this: DuckDB names a database after its file, and the SQL
# dbt compiles names the database, so compiled tests run on any copy of it.
WAREHOUSE_FILE = "warehouse.duckdb"


# What the reference build depends on: a change to any of these builds the references again.
REFERENCE_SOURCES = ("dbt/models", "dbt/macros", "dbt/tests", "dbt/dbt_project.yml", "src")


class BuildFailed(Exception):
    """The pipeline under the assignments did not build: nothing can be checked."""


def settings_for(project_dir: Path, folder: Path, seed: int) -> Settings:
    return dataclasses.replace(
        Settings.from_env(),
        project_dir=project_dir,
        lake_dir=folder / "lake",
        warehouse_path=folder / WAREHOUSE_FILE,
        dbt_target="local",
        seed=seed,
    )


def quiet_dbt(settings: Settings, *args: str) -> tuple[int, str]:
    """Run dbt with its output kept rather than shown (a grading run would print thousands of lines).

    Its manifest, results and log go beside the warehouse it builds, not into the project's dbt/target:
    builds of several seeds or submissions at once never share them."""
    beside = settings.warehouse_path.parent
    with contextlib.redirect_stdout(io.StringIO()):
        return run_dbt_with_status(
            settings, *args, "--target-path", str(beside / "target"), "--log-path", str(beside / "logs")
        )


def build_base(project_dir: Path, folder: Path, seed: int) -> Path:
    """Generate the window for `seed`, load it and run the assignment models of `project_dir` and every
    model they read (not the rest: it saves grading time); returns the warehouse.

    With the instructor edition this is the reference: its assignment models are the solutions.
    """
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    settings = settings_for(project_dir, folder, seed)
    with contextlib.redirect_stdout(io.StringIO()):
        generate_to_lake(settings, WINDOW_START, WINDOW_END)
        load_lake(settings)
    selected = [f"+{node}" for node in (*ASSIGNMENT_NODES, *CHECKED_MODELS)]
    returncode, output = quiet_dbt(settings, "run", "--select", *selected)
    if returncode != 0:
        raise BuildFailed("dbt run failed:\n" + "\n".join(output.splitlines()[-15:]))
    return settings.warehouse_path


def reference_warehouse(project_dir: Path, folder: Path, seed: int) -> Path:
    """The reference for `seed`: built once, and again only when the solutions or the pipeline change."""
    digest = hashlib.sha256()
    for source in REFERENCE_SOURCES:
        root = project_dir / source
        for path in sorted([root] if root.is_file() else root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0" + path.read_bytes())
    built = folder / f"{seed}-{digest.hexdigest()[:12]}"
    if not (built / "complete").is_file():
        build_base(project_dir, built, seed)
        (built / "complete").touch()
    return built / WAREHOUSE_FILE


@dataclass
class Workspace:
    """One submission's built assignments, and what the checks need to read them."""

    project_dir: Path  # the files under check
    warehouse: Path
    seed: int
    reference: Path | None = None  # the solutions built on the same data (grading only)
    build_output: str = ""  # what dbt printed while building the assignments
    # What one check computes for the next ones of its assignment (a slow run, done once), by name.
    computed: dict = dataclasses.field(default_factory=dict)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A connection to this warehouse; the reference, when there is one, is attached as `reference`."""
        connection = duckdb.connect(str(self.warehouse))
        if self.reference is not None:
            connection.execute(f"attach '{self.reference}' as reference (read_only)")
        return connection

    def rows(self, sql: str, parameters: list | None = None) -> list[tuple]:
        with self.connect() as connection:
            return connection.execute(sql, parameters or []).fetchall()

    @property
    def dbt_target(self) -> Path:
        """Where the assignment build wrote its manifest and results (quiet_dbt)."""
        return self.warehouse.parent / "target"

    def node_results(self) -> dict[str, dict]:
        """The last assignment build's result per dbt node name (status, message, failures)."""
        path = self.dbt_target / "run_results.json"
        if not path.is_file():
            return {}
        results = json.loads(path.read_text(encoding="utf-8"))["results"]
        return {result["unique_id"].split(".")[2]: result for result in results}

    def manifest_nodes(self) -> list[dict]:
        path = self.dbt_target / "manifest.json"
        return list(json.loads(path.read_text(encoding="utf-8"))["nodes"].values()) if path.is_file() else []

    def compiled_sql(self, name: str) -> str:
        """The SQL dbt ran for a node in the last build (a test's selects the rows that fail it)."""
        compiled = self.node_results().get(name, {}).get("compiled_code")
        if not compiled:
            raise FileNotFoundError(f"dbt did not compile {name}")
        return compiled

    @contextlib.contextmanager
    def scratch_copy(self):
        """A throwaway copy of this warehouse, for a check that changes data and runs dbt on it."""
        with tempfile.TemporaryDirectory(dir=self.warehouse.parent) as folder:
            copy = Path(folder) / WAREHOUSE_FILE
            shutil.copyfile(self.warehouse, copy)
            yield copy

    def dbt_on(self, warehouse: Path, *args: str) -> tuple[int, str]:
        """Run dbt on the submission's project against another warehouse; its results go beside that warehouse."""
        return quiet_dbt(settings_for(self.project_dir, warehouse.parent, self.seed), *args)

    def failing_rows(self, test_sql: str, plant: str = "") -> int:
        """Rows a test returns, after running `plant` (SQL that breaks the data) in a transaction rolled back after."""
        with self.connect() as connection:
            connection.execute("begin transaction")
            try:
                if plant:
                    connection.execute(plant)
                # New lines around the test's SQL: it may end in a comment.
                return connection.execute(f"select count(*) from (\n{test_sql}\n) as failing").fetchone()[0]
            finally:
                connection.execute("rollback")


def build_assignments(project_dir: Path, warehouse: Path, seed: int, reference: Path | None = None) -> Workspace:
    """Build and test the assignment models of `project_dir` on `warehouse`, whose other models are built.

    Whatever the warehouse held in the assignments schema is dropped first, so a
    model that fails to build leaves nothing behind for a check to find. A failing
    model or test does not stop the rest: each check reads its own node's result.
    """
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("drop schema if exists assignments cascade")
    workspace = Workspace(project_dir=project_dir, warehouse=warehouse, seed=seed, reference=reference)
    # A build that fails before writing its results must not leave an earlier build's for the checks.
    shutil.rmtree(workspace.dbt_target, ignore_errors=True)
    settings = settings_for(project_dir, warehouse.parent, seed)
    _, workspace.build_output = quiet_dbt(settings, "build", "--select", *ASSIGNMENT_NODES)
    return workspace


def last_error(output: str) -> str:
    """The last line of dbt's output that names an error, for a one-line reason."""
    lines = [line.strip() for line in output.splitlines() if "error" in line.lower()]
    return lines[-1][:300] if lines else "see dbt's output for the reason"
