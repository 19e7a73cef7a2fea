# %% [markdown]
# # 8. Data quality: write, audit, publish
#
# **What you will learn**
#
# - the two kinds of checks the pipeline runs: dbt tests (SQL that returns the bad
#   rows) and Great Expectations suites (expectations on a batch of rows);
# - write-audit-publish: every build lands in a *candidate* schema, and only an
#   audit that passes replaces the tables the dashboard reads;
# - what happens when bad data arrives: plant a fault, watch the audit stop it,
#   and see that the published tables did not change;
# - where the Data Docs are, the HTML report of every expectation.
#
# **Where this sits.** Between the dbt build and the dashboard: events -> lake ->
# warehouse -> dbt -> *audit -> publish* -> dashboard. The gate is
# `src/<package>/quality/gate.py`, the suites are in
# `src/<package>/quality/expectations/` (`suites.py`, `runner.py`), the dbt tests in
# `dbt/models/**/_*.yml` and `dbt/tests/`. `make transform` runs the gate;
# `make quality` runs the suites alone, `make chaos` every fault at once.
#
# This notebook builds a small pipeline of its own in
# `data/notebooks/08_data_quality/`: your project's warehouse stays untouched.

# %% tags=["parameters"] test_parameters={"hours": 8}
day = "2025-10-04"  # the first day of the notebook's own pipeline
hours = 24  # hours of events from its midnight (2,488 events with the default seed, 42)

# %%
import json
from datetime import UTC, datetime, timedelta

import lesson
import matplotlib.pyplot as plt
import pandas as pd

backfill = lesson.module("ingest.backfill")
gate = lesson.module("quality.gate")
faults = lesson.module("quality.faults")

folder = lesson.workspace("08_data_quality")
settings = lesson.settings(folder)
lesson.one_dbt_process(settings)  # the loads and builds below share one dbt start-up
start = datetime.fromisoformat(day).replace(tzinfo=UTC)
end = start + timedelta(hours=hours)
generated = backfill.generate_to_lake(settings, start, end)
print(f"{generated.events:,} events in {generated.files} lake files")
lesson.load(settings)

# %% [markdown]
# ## Write, audit, publish: a clean run
#
# `transform` runs `dbt build` (every model, each followed by its tests) into the
# candidate schema `analytics_candidate`; then the Great Expectations suites check
# raw, staging and the candidates; only if all of it passes does `publish` copy the
# candidates into `analytics`, the schema the dashboard reads. dbt prints a line per
# model and test: the notebook keeps the last few.

# %%
with lesson.quiet(tail=3):
    clean = gate.transform(settings)
print("audit passed:", clean.gate.passed, "| published:", clean.published)
pd.Series(clean.published_tables, name="rows").to_frame()

# %% [markdown]
# ## What the audit checks
#
# **dbt tests** are queries that return the rows breaking a rule: zero rows is a
# pass. Generic ones (`unique`, `not_null`, `accepted_values`, `relationships`) are
# declared in each layer's YAML; singular ones are SQL files in `dbt/tests/`. dbt
# writes the project's graph, tests included, to `manifest.json` (here in the
# notebook's own target folder). Count the tests of each kind, on each layer:

# %%
manifest = json.loads((folder / "dbt_target" / "manifest.json").read_text())
rows = []
for node in manifest["nodes"].values():
    if node["resource_type"] != "test":
        continue
    model = node.get("attached_node") or next(iter(node["depends_on"]["nodes"]), "")
    layer = manifest["nodes"][model]["fqn"][1] if model in manifest["nodes"] else "sources"
    kind = (node.get("test_metadata") or {}).get("name", "singular (dbt/tests/)")
    rows.append({"layer": layer, "kind": kind, "test": node["name"]})
dbt_tests = pd.DataFrame(rows)
print(f"{len(dbt_tests)} data tests, all run by the build above")
dbt_tests.pivot_table(index="kind", columns="layer", aggfunc="size", fill_value=0)

# %% [markdown]
# **Great Expectations suites** check a batch of rows against expectations ("values
# in this set", "between 0 and ...", "these two columns equal"). The suites are
# plain Python in `suites.py`: each is a query (the rows) and a list of
# expectations, each labelled with the sentence a failure report starts with.

# %%
suites = lesson.module("quality.expectations.suites")
expectation_rows = [
    {"suite": suite.name, "expectation": e.expectation_type, "check": e.meta["check"]}
    for suite in suites.SUITES
    for e in suite.expectations()
]
expectations = pd.DataFrame(expectation_rows)
expectations.head(8)

# %%
figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
dbt_tests.groupby("layer").size().sort_values().plot.barh(ax=left, color="#4c72b0", title="dbt tests per layer")
expectations.groupby("suite").size().sort_values().plot.barh(ax=right, color="#dd8452", title="expectations per suite")
left.set_xlabel("tests")
right.set_xlabel("expectations")
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Plant a fault
#
# A source starts sending product views with a *negative* price. `faults.py`
# delivers such events into the lake as the sink would (a new gzip file, an hour
# after the window), and keeps a ledger of what it sent. Take a fingerprint of the
# published tables first: each table's row count and a hash of all its rows.

# %%
before = lesson.published_fingerprint(settings.warehouse_path)
plan = faults.FaultPlan(negative_price=3)
ledger = faults.inject_faults(settings, start, end, plan, delivered_at=end + timedelta(hours=1))
record = ledger["negative_price"]
print(f"sent {record.events} events with a negative price in {record.files[0]}")
lesson.load(settings)
before

# %% [markdown]
# ## Watch the audit stop it
#
# Run the same gate again. The build merges the bad rows into staging, the audit's
# test on staging finds them, dbt skips every model built from it, and nothing is
# published.

# %%
with lesson.quiet(tail=3):
    faulty = gate.transform(settings)
print("audit passed:", faulty.gate.passed, "| published:", faulty.published)
for failure in faulty.gate.failures:
    print(" -", failure)

# %% [markdown]
# The dashboard still reads the last data that passed: the fingerprint of the
# published tables is the same, row for row.

# %%
after = lesson.published_fingerprint(settings.warehouse_path)
print("published tables unchanged:", after.equals(before))
after

# %% [markdown]
# ## Checkpoint: the audit saw exactly what was planted
#
# One figure, two ways: the negative prices the fault ledger says it sent, and the
# rows the audit's own SQL test (`dbt/tests/assert_no_negative_amounts.sql`) finds
# in the warehouse, counted here by reading staging directly.

# %%
negative_in_staging = lesson.query(
    "select count(*) as n from staging.stg_events where product_price < 0", settings.warehouse_path
)["n"][0]
print(f"sent {len(record.event_ids)}, found in staging {negative_in_staging}")
assert negative_in_staging == len(record.event_ids) == plan.negative_price
assert after.equals(before)

# %% [markdown]
# ## Break it on purpose: run the failing test by hand
#
# The gate turns a failed test into a *finding* and stops publishing. Run the test
# yourself, as you would while debugging (`dbt test --select
# assert_no_negative_amounts` in `dbt/`), and dbt exits with an error, which the
# project's runner raises as a `PipelineError`. The next cell is *meant* to fail.

# %% tags=["raises-exception"] expected_exception="PipelineError"
lesson.dbt(settings, "test", "--select", "assert_no_negative_amounts")

# %% [markdown]
# ## The Data Docs
#
# Every run of the suites writes an HTML report of each expectation and its result:
# the Data Docs, beside the warehouse. Open `index.html` in your browser (the path
# below), click a validation, and find the expectations of the clean run.

# %%
runner = lesson.module("quality.expectations.runner")
docs = runner.data_docs_dir(settings)
print(f"file://{docs / 'index.html'}")
pd.DataFrame(
    [
        {"suite": page.relative_to(docs).parts[1], "validation page": page.relative_to(docs).as_posix()}
        for page in sorted(docs.glob("validations/*/*/*/*.html"))
    ]
)

# %% [markdown]
# ## Your turn
#
# 1. Plant another fault: `FaultPlan(unknown_event_type=2)`. Which check stops it,
#    a dbt test or an expectation? (Re-run from "Plant a fault".)
# 2. Put the price right: delete the bad rows from `raw.raw_events` (`lesson.query`
#    is read-only: use `duckdb.connect(str(settings.warehouse_path))`, then close
#    it), run `gate.transform(settings, full_refresh=True)` and watch it publish.
#    Why would an incremental run still fail?
# 3. Add an expectation to the `orders` suite in `suites.py` (say, `total_amount`
#    at most 5,000) and run `make quality`. Does the demo's data pass?
# 4. Why does the gate run the suites only when every dbt test passed? Read the
#    comment in `gate.py` and explain it in one sentence.
