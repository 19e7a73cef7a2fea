"""Every bad invocation or bad environment ends in one line on stderr and a non-zero exit, never a traceback.

Each case plants its own trap (a file where a folder belongs, a file that is not
DuckDB, a warehouse held by a writer) and runs the real command line in a process.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from test_cli import run_cli


def _file(path: Path, text: str = "not a folder\n") -> Path:
    path.write_text(text)
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


# (what the user did, arguments ({tmp}: a fresh folder), the environment it plants there, words the line must hold)
BAD_INVOCATIONS = [
    ("END before START", ["generate", "--start", "2025-10-08", "--end", "2025-10-01"], None, "must be after --start"),
    ("a year-1 start", ["generate", "--start", "0001-01-01", "--end", "0001-01-02"], None, "before 1970-01-01"),
    (
        "a lake path that is a file",
        ["generate", "--start", "2025-10-01", "--end", "2025-10-01T01:00"],
        lambda tmp: {"LAKE_DIR": str(_file(tmp / "lake"))},
        "LAKE_DIR must be a folder",
    ),
    (
        "a lake path under a file",
        ["generate", "--start", "2025-10-01", "--end", "2025-10-01T01:00"],
        lambda tmp: {"LAKE_DIR": str(_file(tmp / "file") / "lake")},
        "LAKE_DIR: cannot create the folder",
    ),
    (
        "an unwritable warehouse path",
        ["load"],
        lambda tmp: {
            "WAREHOUSE_PATH": str(_file(tmp / "file") / "warehouse.duckdb"),
            "LAKE_DIR": str(_folder(tmp / "lake")),
        },
        "WAREHOUSE_PATH needs a folder",
    ),
    (
        "a negative buffer size",
        ["generate", "--start", "2025-10-01", "--end", "2025-10-01T01:00"],
        lambda tmp: {"LAKE_BUFFER_MIB": "-1", "LAKE_DIR": str(tmp / "lake")},
        "LAKE_BUFFER_MIB must be between 1 and 128, got -1",
    ),
    (
        "a negative buffer interval",
        ["live"],
        lambda tmp: {"LAKE_BUFFER_SECONDS": "-5", "LAKE_DIR": str(tmp / "lake")},
        "LAKE_BUFFER_SECONDS must be between 0 and 900, got -5",
    ),
    (
        "kpis on a file that is not DuckDB",
        ["kpis"],
        lambda tmp: {"WAREHOUSE_PATH": str(_file(tmp / "warehouse.duckdb", "hello"))},
        "is not a DuckDB database",
    ),
    (
        "load with a lake folder that does not exist",
        ["load"],
        lambda tmp: {"LAKE_DIR": str(tmp / "no-such-lake"), "WAREHOUSE_PATH": str(tmp / "w.duckdb")},
        "no lake at",
    ),
    (
        "transform before any load",
        ["transform"],
        lambda tmp: {"WAREHOUSE_PATH": str(tmp / "empty.duckdb"), "LAKE_DIR": str(tmp / "lake")},
        "run `make load` first",
    ),
    ("chaos --dir holding the project's data", ["chaos", "--dir", "data"], None, "holds the project's lake"),
    (
        "chaos --dir holding someone else's files",
        ["chaos", "--hours", "1", "--dir", "{tmp}"],
        lambda tmp: _file(tmp / "precious.csv") and {},
        "did not write",
    ),
]


@pytest.mark.parametrize(
    ("args", "environment", "words"),
    [case[1:] for case in BAD_INVOCATIONS],
    ids=[case[0] for case in BAD_INVOCATIONS],
)
def test_a_bad_invocation_is_one_line_and_a_non_zero_exit(tmp_path, args, environment, words):
    env = environment(tmp_path) if environment else {}
    result = run_cli(*[arg.format(tmp=tmp_path) for arg in args], env_extra=env)

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and words in lines[0], lines[0]


def test_chaos_leaves_a_folder_it_did_not_create_untouched(tmp_path):
    precious = _file(tmp_path / "orders.csv", "order_id\n1\n")
    (tmp_path / "lake").mkdir()
    _file(tmp_path / "lake" / "keep.json.gz", "x")

    result = run_cli("chaos", "--hours", "1", "--dir", str(tmp_path))

    assert result.returncode == 1
    assert precious.read_text() == "order_id\n1\n"
    assert (tmp_path / "lake" / "keep.json.gz").is_file()


def test_kpis_while_a_transform_holds_the_warehouse_says_busy(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as writer:  # holds the file, as a running transform does
        writer.execute("create table held (x int)")
        result = run_cli("kpis", env_extra={"WAREHOUSE_PATH": str(warehouse)})

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"Error: the warehouse {warehouse} is busy: another command (a load or a transform) is writing to it; "
        "retry when it has finished"
    ]
