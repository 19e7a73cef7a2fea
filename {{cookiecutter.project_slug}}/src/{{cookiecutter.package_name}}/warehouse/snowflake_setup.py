"""Set up Snowflake for this project: run the scripts of infra/snowflake/ in order.

    make snowflake-setup                    # 01 to 05: roles, warehouses, database, integration, stage, tables
    make snowflake-setup WITH_SNOWPIPE=1    # and 06_snowpipe.sql, the event-driven load

Every script only creates what is missing, so running the setup again is safe.
The connection comes from environment variables (.env.example lists them):
SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER and SNOWFLAKE_PASSWORD, for a user who may use
ACCOUNTADMIN (the scripts switch roles themselves). SNOWFLAKE_HOST, SNOWFLAKE_PORT
and SNOWFLAKE_PROTOCOL are only for a private endpoint or an emulator.

A script may name an environment variable as `&{NAME}`, as SnowSQL's variable
substitution does (`snowsql -D NAME=...`): 03_storage_integration.sql takes the
ARN of the IAM role that reads the bucket from SNOWFLAKE_STORAGE_AWS_ROLE_ARN.
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import PipelineError

SCRIPTS_DIR = Path("infra") / "snowflake"  # in the project folder
SNOWPIPE_SCRIPT = "06_snowpipe.sql"  # optional: Snowpipe replaces the hourly COPY INTO
REQUIRED_VARIABLES = ("SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_PASSWORD")
SCRIPT_VARIABLE = re.compile(r"&\{(\w+)\}")
# Statements whose result the person running the setup needs to read (e.g. the integration's IAM user).
SHOWS_RESULT = re.compile(r"^\s*(describe|desc|show|list)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ScriptRun:
    name: str
    statements: int
    seconds: float


def setup_scripts(project_dir: Path, with_snowpipe: bool = False) -> list[Path]:
    """The setup scripts in the order they run: by their number, the Snowpipe script only if asked."""
    scripts = sorted((project_dir / SCRIPTS_DIR).glob("[0-9][0-9]_*.sql"))
    if not scripts:
        raise PipelineError(f"no setup scripts in {project_dir / SCRIPTS_DIR}")
    return [script for script in scripts if with_snowpipe or script.name != SNOWPIPE_SCRIPT]


def connection_from_env(env: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Keyword arguments for snowflake.connector.connect, from the environment."""
    missing = [name for name in REQUIRED_VARIABLES if not env.get(name)]
    if missing:
        raise PipelineError(
            f"{', '.join(missing)} not set: export the Snowflake credentials first "
            "(copy .env.example to .env, fill it in, then `set -a; source .env; set +a`)"
        )
    params: dict[str, Any] = {
        "account": env["SNOWFLAKE_ACCOUNT"],
        "user": env["SNOWFLAKE_USER"],
        "password": env["SNOWFLAKE_PASSWORD"],
        "application": "snowflake-setup",
        "login_timeout": 30,  # a wrong account name fails within this many seconds
    }
    if env.get("SNOWFLAKE_HOST"):
        params["host"] = env["SNOWFLAKE_HOST"]
    if env.get("SNOWFLAKE_PORT"):
        try:
            params["port"] = int(env["SNOWFLAKE_PORT"])
        except ValueError:
            raise PipelineError(f"SNOWFLAKE_PORT must be a port number, got {env['SNOWFLAKE_PORT']!r}") from None
    if env.get("SNOWFLAKE_PROTOCOL"):
        params["protocol"] = env["SNOWFLAKE_PROTOCOL"]
    return params


def script_statements(script: Path, env: Mapping[str, str] = os.environ) -> list[str]:
    """The script's statements, without comments, with each `&{NAME}` replaced by that variable."""
    from snowflake.connector.util_text import split_statements

    text = script.read_text(encoding="utf-8")
    missing = sorted({name for name in SCRIPT_VARIABLE.findall(text) if not env.get(name)})
    if missing:
        raise PipelineError(f"{script.name} needs {', '.join(missing)}: set it (see .env.example) and run again")
    text = SCRIPT_VARIABLE.sub(lambda match: env[match.group(1)], text)
    return [statement for statement, _ in split_statements(io.StringIO(text), remove_comments=True)]


def _first_line(error: Exception) -> str:
    text = str(getattr(error, "msg", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _result_lines(cursor) -> list[str]:
    """A DESCRIBE/SHOW/LIST result as `name = value` lines: a property table's rows, or each row's columns."""
    columns = [column[0].lower() for column in cursor.description or []]
    rows = cursor.fetchall()
    if "property" in columns and "property_value" in columns:
        name, value = columns.index("property"), columns.index("property_value")
        return [f"{row[name]} = {row[value]}" for row in rows]
    return [
        f"{column} = {value}"
        for row in rows
        for column, value in zip(columns, row, strict=True)
        if value not in (None, "")
    ]


def connect(params: Mapping[str, Any]):
    """Open the connection; a refused login or an unreachable account is one PipelineError line."""
    import snowflake.connector

    try:
        return snowflake.connector.connect(**params)
    except snowflake.connector.errors.Error as error:
        raise PipelineError(
            f"could not connect to Snowflake account {params.get('account')!r} as {params.get('user')!r}: "
            f"{_first_line(error)} (check SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER and SNOWFLAKE_PASSWORD)"
        ) from None


def run_setup(
    scripts: list[Path],
    params: Mapping[str, Any],
    echo: Callable[[str], None] = print,
    env: Mapping[str, str] = os.environ,
) -> list[ScriptRun]:
    """Run each script's statements in order on one connection; stop at the first failing statement."""
    import snowflake.connector

    statements = {script: script_statements(script, env) for script in scripts}  # variables checked first
    runs = []
    with connect(params) as connection, connection.cursor() as cursor:
        for script in scripts:
            started, results = time.perf_counter(), []
            for number, statement in enumerate(statements[script], start=1):
                try:
                    cursor.execute(statement)
                except snowflake.connector.errors.Error as error:
                    raise PipelineError(
                        f"{script.name}, statement {number} ({' '.join(statement.split()[:4])} ...) failed: "
                        f"{_first_line(error)}"
                    ) from None
                if SHOWS_RESULT.match(statement):
                    results += _result_lines(cursor)
            run = ScriptRun(script.name, len(statements[script]), time.perf_counter() - started)
            echo(f"  {run.name:<32} {run.statements:>3} statements  {run.seconds:6.2f} s")
            for line in results:
                echo(f"      {line}")
            runs.append(run)
    return runs
