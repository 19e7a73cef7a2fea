"""Settings, read once from environment variables (see .env.example for each one)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import PipelineError

# The answer given when this project was generated; EVENT_SEED overrides it.
DEFAULT_SEED = {{ cookiecutter.seed | int }}


def find_project_dir(start: Path | None = None) -> Path:
    """The nearest folder, from `start` upwards, that holds dbt/dbt_project.yml."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "dbt" / "dbt_project.yml").is_file():
            return folder
    raise PipelineError(
        f"no project found from {here}: run this command inside the generated project "
        "(the folder with dbt/dbt_project.yml), or set PROJECT_DIR"
    )


def _int_env(name: str, default: int, low: int | None = None, high: int | None = None) -> int:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise PipelineError(f"{name} must be an integer, got {value!r}") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise PipelineError(f"{name} must be between {low} and {high}, got {number}")
    return number


def writable_folder(folder: Path, setting: str) -> Path:
    """Make `folder` if needed; a path that cannot be a writable folder is the user's to fix, named by its setting."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise PipelineError(f"{setting} needs a folder at {folder}, but a file is there") from None
    except OSError as error:
        raise PipelineError(f"{setting}: cannot create the folder {folder} ({error.strerror})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PipelineError(f"{setting}: the folder {folder} is not writable")
    return folder


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    lake_dir: Path
    warehouse_path: Path
    dbt_target: str
    seed: int
    lake_buffer_seconds: int
    lake_buffer_mib: int

    @property
    def dbt_dir(self) -> Path:
        return self.project_dir / "dbt"

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        project_dir = Path(env["PROJECT_DIR"]).resolve() if env.get("PROJECT_DIR") else find_project_dir()

        def path(name: str, default: str) -> Path:
            value = Path(env.get(name) or default)
            return value if value.is_absolute() else project_dir / value

        settings = cls(
            project_dir=project_dir,
            lake_dir=path("LAKE_DIR", "data/lake"),
            warehouse_path=path("WAREHOUSE_PATH", "data/warehouse.duckdb"),
            dbt_target=env.get("DBT_TARGET") or "local",
            seed=_int_env("EVENT_SEED", DEFAULT_SEED),
            # Firehose's longest interval: a three-month backfill makes ~8,000 files, not ~26,000.
            # The bounds are Firehose's buffering hints (ingest/lake.py).
            lake_buffer_seconds=_int_env("LAKE_BUFFER_SECONDS", 900, low=0, high=900),
            lake_buffer_mib=_int_env("LAKE_BUFFER_MIB", 5, low=1, high=128),
        )
        if settings.lake_dir.is_file():
            raise PipelineError(f"LAKE_DIR must be a folder, but {settings.lake_dir} is a file")
        if settings.warehouse_path.is_dir():
            raise PipelineError(f"WAREHOUSE_PATH must be a DuckDB file, but {settings.warehouse_path} is a folder")
        return settings
