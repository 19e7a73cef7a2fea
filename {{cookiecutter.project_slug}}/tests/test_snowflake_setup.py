"""The Snowflake setup: the scripts of infra/snowflake/ and their runner (`make snowflake-setup`).

The runner is tested against fakesnow, a DuckDB-backed Snowflake emulator, served on
127.0.0.1 by the test: an emulator, because the real path is a cloud account. fakesnow
runs the database, schema, file format, stage and table statements; it cannot run the
account-level ones named in FAKESNOW_CANNOT_RUN, which it is told to skip. Those are
checked by sqlfluff's Snowflake parser instead, statement by statement.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import snowflake.connector
import sqlfluff

# fakesnow.server is the function until its module is first imported (by the function itself):
# taken now, at collection, it stays the function for every test module.
from fakesnow import server as fakesnow_server

from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.warehouse.snowflake_setup import (
    SNOWPIPE_SCRIPT,
    connection_from_env,
    run_setup,
    script_statements,
    setup_scripts,
)

from conftest import PROJECT_DIR

# Statement kinds fakesnow has no emulation for (roles, grants, warehouses, resource
# monitors, storage integrations, pipes): real Snowflake runs them, fakesnow skips them.
FAKESNOW_CANNOT_RUN = {
    "create role": r"create\s+role\b",
    "grant": r"grant\b",
    "create warehouse": r"create\s+warehouse\b",
    "alter warehouse (resource monitor)": r"alter\s+warehouse\b",
    "create resource monitor": r"create\s+resource\s+monitor\b",
    "create storage integration": r"create\s+storage\s+integration\b",
    "describe integration": r"describe\s+integration\b",
    "create pipe": r"create\s+pipe\b",
    "show pipes": r"show\s+pipes\b",
}
DATABASE = "{{ cookiecutter.snowflake_database | upper }}"
ROLE_ARN = "arn:aws:iam::123456789012:role/{{ cookiecutter.project_slug }}-snowflake-s3-read"
SCRIPTS = setup_scripts(PROJECT_DIR, with_snowpipe=True)
ENV = {"SNOWFLAKE_STORAGE_AWS_ROLE_ARN": ROLE_ARN}


def run_cli(*args: str, env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from {{ cookiecutter.package_name }}.cli import run; run()", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env={**os.environ, **env_extra},
    )


def all_statements() -> list[str]:
    return [statement for script in SCRIPTS for statement in script_statements(script, ENV)]


def cannot_run(statement: str) -> bool:
    return any(re.match(pattern, statement, re.IGNORECASE) for pattern in FAKESNOW_CANNOT_RUN.values())


@pytest.fixture(scope="module")
def fake_snowflake():
    """fakesnow's server on a free loopback port; yields the runner's connection arguments."""
    nop = {"nop_regexes": list(FAKESNOW_CANNOT_RUN.values())}
    with fakesnow_server(session_parameters=nop) as server:
        logging.getLogger("fakesnow.server").setLevel(logging.WARNING)  # not every statement it runs
        env = {
            "SNOWFLAKE_ACCOUNT": server["account"],
            "SNOWFLAKE_USER": server["user"],
            "SNOWFLAKE_PASSWORD": server["password"],
            "SNOWFLAKE_HOST": server["host"],
            "SNOWFLAKE_PORT": str(server["port"]),
            "SNOWFLAKE_PROTOCOL": server["protocol"],
        }
        yield connection_from_env(env) | {"session_parameters": server["session_parameters"]}


def test_the_scripts_run_in_order_with_the_pipe_only_when_asked():
    names = [script.name for script in setup_scripts(PROJECT_DIR)]
    assert names == sorted(names) and names[0].startswith("01_") and SNOWPIPE_SCRIPT not in names
    assert [script.name for script in SCRIPTS] == [*names, SNOWPIPE_SCRIPT]


@pytest.mark.full
def test_the_setup_runs_on_fakesnow_and_again_without_losing_data(fake_snowflake):
    printed: list[str] = []
    runs = run_setup(SCRIPTS, fake_snowflake, echo=printed.append, env=ENV)

    assert [run.name for run in runs] == [script.name for script in SCRIPTS]
    for run, script in zip(runs, SCRIPTS, strict=True):
        assert run.statements == len(script_statements(script, ENV)) > 0
        assert any(line.split()[:3] == [run.name, str(run.statements), "statements"] for line in printed)

    with snowflake.connector.connect(**fake_snowflake, database=DATABASE) as connection:
        cursor = connection.cursor()
        cursor.execute(f"select schema_name from {DATABASE}.information_schema.schemata")
        schemas = {row[0] for row in cursor.fetchall()}
        assert {"RAW", "STAGING", "INTERMEDIATE", "MARTS", "ANALYTICS", "AUDIT", "SNAPSHOTS"} <= schemas
        cursor.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'RAW' and table_name = 'RAW_EVENTS' order by ordinal_position"
        )
        assert cursor.fetchall() == [
            ("EVENT", "VARIANT"),
            ("SOURCE_FILE", "TEXT"),
            ("FILE_ROW_NUMBER", "NUMBER"),
            ("LOADED_AT", "TIMESTAMP_NTZ"),
        ]
        cursor.execute("show stages in schema raw")
        assert [row[1] for row in cursor.fetchall()] == ["RAW_EVENTS_STAGE"]
        cursor.execute(
            "insert into raw.raw_events select parse_json('{\"event_id\": \"e1\"}'), 'f.json.gz', 1, "
            "current_timestamp()::timestamp_ntz"
        )
        cursor.execute("select count(*) from raw.raw_events")
        (loaded,) = cursor.fetchone()

        # Re-runnable: a second run succeeds and keeps what was loaded.
        run_setup(SCRIPTS, fake_snowflake, echo=printed.append, env=ENV)
        cursor.execute("select count(*) from raw.raw_events")
        assert cursor.fetchone() == (loaded,) and loaded > 0


def test_every_statement_fakesnow_skips_is_named_and_parses_as_snowflake_sql():
    skipped = [statement for statement in all_statements() if cannot_run(statement)]
    for kind, pattern in FAKESNOW_CANNOT_RUN.items():
        assert any(re.match(pattern, statement, re.IGNORECASE) for statement in skipped), f"no {kind} left"
    for statement in skipped:
        sqlfluff.parse(statement + ";\n", dialect="snowflake")  # raises on anything it cannot parse


def test_the_scripts_pass_sqlfluff_in_the_snowflake_dialect():
    sqlfluff_bin = str(Path(sys.executable).with_name("sqlfluff"))
    result = subprocess.run(
        [sqlfluff_bin, "lint", "--config", "infra/snowflake/.sqlfluff", "infra/snowflake"],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_credentials_are_one_line_that_says_what_to_set():
    cleared = {name: "" for name in ("SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_PASSWORD")}
    result = run_cli("snowflake-setup", env_extra=cleared)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_PASSWORD not set: export the Snowflake credentials "
        "first (copy .env.example to .env, fill it in, then `set -a; source .env; set +a`)"
    ]


def test_a_missing_script_variable_is_named_before_anything_runs():
    credentials = {"SNOWFLAKE_ACCOUNT": "acme-x", "SNOWFLAKE_USER": "me", "SNOWFLAKE_PASSWORD": "secret"}
    result = run_cli("snowflake-setup", env_extra=credentials | {"SNOWFLAKE_STORAGE_AWS_ROLE_ARN": ""})
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: 03_storage_integration.sql needs SNOWFLAKE_STORAGE_AWS_ROLE_ARN: "
        "set it (see .env.example) and run again"
    )
    with pytest.raises(PipelineError, match="SNOWFLAKE_PORT must be a port number"):
        connection_from_env(credentials | {"SNOWFLAKE_PORT": "http"})
