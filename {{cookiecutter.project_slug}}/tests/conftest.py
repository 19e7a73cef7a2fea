"""Shared fixtures: a settings object pointing at temporary data, and one built warehouse."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.pipeline import generate_to_lake
from {{ cookiecutter.package_name }}.settings import DEFAULT_SEED, Settings
from {{ cookiecutter.package_name }}.warehouse import build_models, load_lake

PROJECT_DIR = Path(__file__).resolve().parents[1]
# Two weeks: enough for every funnel branch and repeat buyers, quick to build.
TEST_START = datetime(2025, 10, 1, tzinfo=UTC)
TEST_END = datetime(2025, 10, 15, tzinfo=UTC)


def make_settings(data_dir: Path, **changes) -> Settings:
    settings = Settings(
        project_dir=PROJECT_DIR,
        lake_dir=data_dir / "lake",
        warehouse_path=data_dir / "warehouse.duckdb",
        dbt_target="local",
        seed=DEFAULT_SEED,
        lake_buffer_seconds=900,
        lake_buffer_mib=5,
    )
    return dataclasses.replace(settings, **changes)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Two weeks generated, loaded and built with dbt once for the whole test session."""
    settings = make_settings(tmp_path_factory.mktemp("pipeline"))
    generate_to_lake(settings, TEST_START, TEST_END)
    load_lake(settings)
    build_models(settings)
    return settings
