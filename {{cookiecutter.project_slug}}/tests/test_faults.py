"""Each fault through the real pipeline, and the reliability report of `chaos`.

One chaos run is shared by these tests (real generator, lake files, dbt load,
dbt build, write-audit-publish gate on DuckDB): one day of events delivered
clean, then duplicates, then late events, malformed lines, a truncated gzip
file and schema drift, then bad values with a full refresh. Each test reads
the pipeline's answer to one fault from the warehouse the run left.
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from {{ cookiecutter.package_name }}.cli import main, run
from {{ cookiecutter.package_name }}.quality import chaos
from {{ cookiecutter.package_name }}.quality.chaos import Round, chaos_settings, measure
from {{ cookiecutter.package_name }}.quality.faults import FaultLedger, FaultPlan, FaultRecord
from {{ cookiecutter.package_name }}.warehouse.load import QUARANTINE_DIR, load_lake

from conftest import PROJECT_DIR, make_settings


class ChaosRun:
    def __init__(self, folder: Path, output: str, exit_code: int) -> None:
        self.folder = folder
        self.output = output
        self.exit_code = exit_code
        self.report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        self.settings = chaos_settings(make_settings(folder), folder)
        self.ledger = FaultLedger(
            [FaultRecord(**{**record, "files": tuple(record["files"])}) for record in self.report["faults"]["records"]]
        )
        self.rounds = {item["name"]: item for item in self.report["rounds"]}

    def query(self, sql: str, *params):
        with duckdb.connect(str(self.settings.warehouse_path), read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()

    def staged(self, fault: str) -> list[tuple]:
        return self.query(
            "select event_id, customer_email from staging.stg_events where event_id in (select unnest(?))",
            list(self.ledger[fault].event_ids),
        )


@pytest.fixture(scope="session")
def chaos_run(tmp_path_factory: pytest.TempPathFactory) -> ChaosRun:
    folder = tmp_path_factory.mktemp("chaos")
    result = CliRunner().invoke(main, ["chaos", "--dir", str(folder)], env={"PROJECT_DIR": str(PROJECT_DIR)})
    return ChaosRun(folder, result.output, result.exit_code)


@pytest.mark.full
def test_the_reliability_report_balances(chaos_run):
    report = chaos_run.report
    assert chaos_run.exit_code == 0, chaos_run.output[-3000:]
    assert "The ledger balances: nothing unaccounted for." in chaos_run.output
    assert report["balanced"] and all(check["passed"] for check in report["checks"])
    # Counted from both sides: the sender's ledger and the warehouse.
    assert report["sent"] == report["generated_events"] + sum(record.lines for record in chaos_run.ledger.records)
    assert report["sent"] == report["kept"] + report["quarantined"] + report["deduplicated"]
    (loaded,) = chaos_run.query("select count(*) from raw.raw_events")[0]
    assert report["loaded"] == loaded == report["kept"] + report["deduplicated"]


@pytest.mark.full
def test_a_planted_imbalance_makes_the_command_exit_non_zero(chaos_run, tmp_path, monkeypatch, capsys):
    """A load that silently lost one line: the run's warehouse, measured again, does not balance.

    The command is given that measurement instead of running the four deliveries again.
    """
    folder = tmp_path / "chaos"
    shutil.copytree(chaos_run.folder, folder)
    settings = chaos_settings(make_settings(folder), folder)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(
            "delete from raw.raw_events "
            "where file_row_number = 1 and source_file = (select min(source_file) from raw.raw_events)"
        )
    report = chaos_run.report
    last = Round(**{**report["rounds"][-1], "gate_failures": tuple(report["rounds"][-1]["gate_failures"])})
    start, end = (datetime.fromisoformat(report[key]) for key in ("start", "end"))
    tampered = measure(
        settings, folder, start, end, report["generated_events"], report["generated_files"], chaos_run.ledger, last
    )
    assert not tampered.balanced
    assert "sent = kept + quarantined + deduplicated" in [check.name for check in tampered.checks if not check.passed]

    monkeypatch.setattr(chaos, "run_chaos", lambda *args, **kwargs: tampered)
    monkeypatch.setattr(sys, "argv", ["{{ cookiecutter.project_slug }}", "chaos", "--dir", str(folder)])
    with pytest.raises(SystemExit) as exit_:
        run()
    assert exit_.value.code == 1
    out, err = capsys.readouterr()
    assert "FAIL  sent = kept + quarantined + deduplicated" in out
    assert "The ledger does NOT balance" in out
    assert "Error: the reliability ledger does not balance: sent = kept + quarantined + deduplicated" in err


@pytest.mark.full
def test_duplicates_change_no_figure(chaos_run):
    clean, redelivered = chaos_run.rounds["clean"], chaos_run.rounds["duplicates"]
    assert clean["published"] and redelivered["published"]
    assert clean["figures"]["kpis"]["orders"] > 0
    assert redelivered["figures"] == clean["figures"]  # KPIs, and rows and sums of every published table
    duplicated = list(chaos_run.ledger["duplicates"].event_ids)
    assert len(duplicated) == 25
    copies = chaos_run.query(
        "select count(*) from raw.raw_events where event->>'$.event_id' in (select unnest(?))", duplicated
    )[0][0]
    assert copies == 2 * len(duplicated)
    assert len(chaos_run.staged("duplicates")) == len(duplicated)  # one row each in stg_events


@pytest.mark.full
def test_late_events_inside_the_lookback_are_counted(chaos_run):
    late = chaos_run.ledger["late_inside_lookback"].event_ids
    assert len(chaos_run.staged("late_inside_lookback")) == len(late) == 20
    # Published by the incremental build of round 3: their sessions reached the dashboard's table.
    sessions = chaos_run.query(
        "select count(distinct session_id) from staging.stg_events where event_id in (select unnest(?)) "
        "and session_id not in (select session_id from analytics.analytics_sessions)",
        list(late),
    )
    assert sessions == [(0,)]
    assert chaos_run.rounds["late, malformed, truncated, drift"]["published"]


@pytest.mark.full
def test_late_events_beyond_the_lookback_are_reported_and_a_full_refresh_recovers_them(chaos_run):
    late = sorted(chaos_run.ledger["late_beyond_lookback"].event_ids)
    assert len(late) == 15
    assert chaos_run.report["reported_late_ids"] == late  # named by audit.audit_events_missing_from_staging
    assert "Warning: 15 raw event(s) missing from stg_events" in chaos_run.output  # the load-time warning
    # Round 4 built with --full-refresh: they are in stg_events now, and the audit view is empty.
    assert len(chaos_run.staged("late_beyond_lookback")) == 15
    assert chaos_run.query("select count(*) from audit.audit_events_missing_from_staging") == [(0,)]


@pytest.mark.full
def test_malformed_lines_are_quarantined_and_every_good_line_of_their_file_is_kept(chaos_run):
    record = chaos_run.ledger["malformed_lines"]
    (source_file,) = record.files
    rejects = chaos_run.query(
        "select file_row_number, error from raw.raw_events_rejects where source_file = ? order by 1", source_file
    )
    assert rejects == [(row, "malformed JSON") for row in range(2, 21, 2)]  # every other line was cut in half
    kept = chaos_run.query(
        "select file_row_number, event->>'$.event_id' from raw.raw_events where source_file = ? order by 1", source_file
    )
    assert kept == list(zip(range(1, 20, 2), record.event_ids, strict=True))
    assert chaos_run.query(
        "select rows_loaded, rows_rejected from raw.load_history where source_file = ?", source_file
    ) == [(10, 10)]


@pytest.mark.full
def test_a_truncated_file_is_quarantined_with_its_count_and_the_rest_loads(chaos_run):
    record = chaos_run.ledger["truncated_file"]
    (source_file,) = record.files
    lake = chaos_run.settings.lake_dir
    assert not (lake / source_file).exists()
    assert (lake / QUARANTINE_DIR / source_file).is_file()  # kept, not deleted
    assert 0 < record.readable_lines < record.lines == 40
    assert chaos_run.query("select source_file, reason, readable_lines from raw.quarantined_files") == [
        (source_file, "Unexpected end of GZIP stream", record.readable_lines)
    ]
    assert chaos_run.staged("truncated_file") == []
    # Every other file of the lake was loaded.
    lake_files = {path.relative_to(lake).as_posix() for path in (lake / "raw-events").rglob("*.json.gz")}
    loaded_files = {row[0] for row in chaos_run.query("select source_file from raw.load_history")}
    assert lake_files == loaded_files
    assert f"Quarantined {source_file} (Unexpected end of GZIP stream" in chaos_run.output


@pytest.mark.full
def test_loading_again_does_not_count_a_quarantined_file_twice(chaos_run, tmp_path):
    folder = tmp_path / "chaos"
    shutil.copytree(chaos_run.folder, folder)
    settings = chaos_settings(make_settings(folder), folder)
    (source_file,) = chaos_run.ledger["truncated_file"].files
    # The same broken file delivered again under its name, then two loads.
    shutil.copy(settings.lake_dir / QUARANTINE_DIR / source_file, settings.lake_dir / source_file)
    before = chaos_run.query("select count(*) from raw.raw_events")
    assert [file.source_file for file in load_lake(settings)] == [source_file]
    assert load_lake(settings) == []
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute("select count(*) from raw.quarantined_files").fetchall() == [(1,)]
        assert con.execute("select count(*) from raw.raw_events").fetchall() == before


@pytest.mark.full
def test_schema_drift_does_not_break_the_build(chaos_run):
    assert chaos_run.rounds["late, malformed, truncated, drift"]["published"]
    extra = chaos_run.staged("extra_field")
    missing = chaos_run.staged("missing_field")
    assert len(extra) == len(missing) == 10
    assert all(email for _, email in extra)  # the unknown field is ignored, the rest unpacked
    assert all(email is None for _, email in missing)  # the missing optional field is null


@pytest.mark.full
def test_bad_values_are_stopped_by_the_gate_and_never_published(chaos_run):
    before, after = chaos_run.rounds["late, malformed, truncated, drift"], chaos_run.rounds["bad values, full refresh"]
    assert not after["published"]
    assert after["figures"] == before["figures"]  # the published tables are untouched
    failures = "\n".join(after["gate_failures"])
    assert "assert_no_negative_amounts: 3 failing row(s)" in failures
    assert "accepted_values_stg_events_event_type" in failures
    # They reached staging, where the audit found them, and stopped there.
    bad = [*chaos_run.ledger["negative_price"].event_ids, *chaos_run.ledger["unknown_event_type"].event_ids]
    staged = chaos_run.query("select count(*) from staging.stg_events where event_id in (select unnest(?))", bad)
    assert len(bad) == 5 and staged == [(5,)]


def test_a_fault_plan_count_is_checked():
    with pytest.raises(ValueError, match="duplicates must be between 0 and"):
        FaultPlan(duplicates=-1)
