# %% [markdown]
# # 5. Intermediate: sessions, order lifecycles and order lines
#
# **What you will learn**
#
# - how a stream of events becomes *entities*: one row per session, per order, per
#   order line;
# - why an order's status comes from its *latest* event, and its amounts from the
#   snapshot taken when it was created;
# - how an array inside JSON (an order's items) becomes rows, on DuckDB and Snowflake;
# - what a dbt *unit test* checks, and how it catches a wrong rule before any data
#   is built.
#
# **Where this sits.** *warehouse (raw) -> dbt: staging -> **intermediate** ->
# marts -> analytics* -> dashboard. The models are in `dbt/models/intermediate/`
# (`int_session_events`, `int_order_lifecycle`, `int_order_items_flattened`,
# `int_customer_purchase_history`), their tests and unit tests in
# `_intermediate.yml`; `make transform` builds them.
#
# This notebook builds its own warehouse in `data/notebooks/05_intermediate/`, and
# runs dbt from its own copy of the dbt project, which it edits on purpose below.

# %% tags=["parameters"] test_parameters={"hours": 6, "orders_shown": 10}
seed = None  # None: your project's seed (EVENT_SEED, or the one chosen when it was generated)
day = "2025-10-04"
hours = 48  # the window to generate and build
orders_shown = 30  # orders on the lifecycle chart

# %%
from datetime import UTC, datetime, timedelta

import lesson
import matplotlib.pyplot as plt
import pandas as pd
import yaml

generator = lesson.module("ingest.generator")
start = datetime.fromisoformat(day).replace(tzinfo=UTC)
end = start + timedelta(hours=hours)
INTERMEDIATE = ["--select", "+path:models/intermediate", "--indirect-selection", "cautious"]
settings = lesson.build_window(
    "05_intermediate", start, end, *INTERMEDIATE, copy_dbt=True, **({} if seed is None else {"seed": seed})
)


def warehouse(statement, params=None):
    return lesson.query(statement, warehouse=settings.warehouse_path, params=params)


# %% [markdown]
# ## A session: the events that share a `session_id`
#
# Take one session that ended in an order. Staging has its events, one row each;
# `int_session_events` makes them one row: who, from which channel, when it began
# and ended, and how far down the funnel it went.

# %%
session_id = warehouse(
    "select session_id from intermediate.int_session_events where has_order order by session_started_at limit 1"
)["session_id"][0]
warehouse(
    "select event_timestamp, event_type, product_name, order_status from staging.stg_events "
    "where session_id = ? order by event_timestamp, event_id",
    params=[session_id],
)

# %%
warehouse("select * from intermediate.int_session_events where session_id = ?", params=[session_id]).transpose()

# %% [markdown]
# ## An order's lifecycle
#
# An order is `created`, then `paid` (or `cancelled` when payment fails), then
# `fulfilled` (or `cancelled` on the customer's request). Every lifecycle event
# carries the order *as it was at that moment*. `int_order_lifecycle` pivots an
# order's events into one row: the time of each step, the status of the latest
# event, the amounts of the created snapshot, and the revenue rule (paid or
# fulfilled orders are revenue; cancelled ones are not).

# %%
warehouse(lesson.sql("05_lifecycle_outcomes"))

# %%
timeline = warehouse(lesson.sql("05_order_timeline")).head(orders_shown)
figure, axes = plt.subplots(figsize=(10, 0.22 * len(timeline) + 1.2))
steps = {"order_created_at": ("o", "#4c72b0"), "paid_at": ("o", "#dd8452"), "fulfilled_at": ("o", "#55a868")}
steps["cancelled_at"] = ("x", "#c44e52")
for row_number, order in enumerate(timeline.itertuples()):
    moments = [getattr(order, step) for step in steps if pd.notna(getattr(order, step))]
    axes.plot([min(moments), max(moments)], [row_number] * 2, color="lightgrey", linewidth=2, zorder=1)
    for step, (marker, colour) in steps.items():
        if pd.notna(getattr(order, step)):
            axes.scatter(getattr(order, step), row_number, marker=marker, color=colour, zorder=2)
for step, (marker, colour) in steps.items():
    axes.scatter([], [], marker=marker, color=colour, label=step.removesuffix("_at").replace("order_", ""))
axes.set_yticks(range(len(timeline)), [order_id[:8] for order_id in timeline["order_id"]], fontsize=7)
axes.invert_yaxis()
axes.set_title(f"The lifecycle of the first {len(timeline)} orders created in the window (int_order_lifecycle)")
axes.legend(loc="upper left", bbox_to_anchor=(1, 1))
figure.autofmt_xdate()
plt.show()

# %% [markdown]
# ## Order lines: an array becomes rows
#
# An order's items are a JSON array inside the event. `int_order_items_flattened`
# makes one row per element with the macro `flatten_json_array`: DuckDB's
# `unnest` on the local target, `LATERAL FLATTEN` on Snowflake.

# %%
order = warehouse(
    "select order_id, order_items::varchar as items from intermediate.int_order_lifecycle "
    "where item_count > 1 order by order_created_at limit 1"
)
print(order["items"][0])
warehouse(
    "select order_item_id, line_number, product_name, quantity, unit_price, line_amount "
    "from intermediate.int_order_items_flattened where order_id = ? order by line_number",
    params=[order["order_id"][0]],
)

# %% [markdown]
# ## Unit tests: the rules on a handful of made-up rows
#
# Data tests (`unique`, `not_null`, ...) check the rows a model built. A *unit
# test* checks the model's logic on a few rows written in YAML (`given`) against
# the rows it must return (`expect`), before anything is built. `dbt build` ran
# them above, first of all (they passed). Here are the rows the lifecycle unit
# test gives and expects:

# %%
spec = yaml.safe_load((settings.dbt_dir / "models/intermediate/_intermediate.yml").read_text(encoding="utf-8"))
unit_test = next(test for test in spec["unit_tests"] if test["model"] == "int_order_lifecycle")
given = pd.DataFrame(unit_test["given"][0]["rows"])[["event_id", "order_id", "event_type", "event_timestamp"]]
expected = pd.DataFrame(unit_test["expect"]["rows"])[["order_id", "order_status", "is_revenue", "net_revenue"]]
print(unit_test["name"])
given.merge(expected, on="order_id")


# %% [markdown]
# ## Break it on purpose: the status of the wrong event
#
# The original pipeline this course improves on took an order's status from the
# wrong snapshot. Make the same mistake in this notebook's copy of the model:
# order the events oldest first, so the "latest" status is the first one. The unit
# test catches it before any table is touched. The next cell is *meant* to fail
# with `PipelineError`.

# %%
UNIT_TESTS = ["--select", "int_order_lifecycle,test_type:unit"]
model = settings.dbt_dir / "models/intermediate/int_order_lifecycle.sql"
lesson.edit(model, "order_events.event_timestamp desc", "order_events.event_timestamp asc")

# %% tags=["raises-exception"] expected_exception="PipelineError"
lesson.dbt(settings, "test", *UNIT_TESTS)

# %% [markdown]
# dbt printed the rows that differ: the fulfilled order came out `created`. Put
# the model back, and the unit test passes again.

# %%
lesson.edit(model, "order_events.event_timestamp asc", "order_events.event_timestamp desc")
lesson.dbt(settings, "test", *UNIT_TESTS)

# %% [markdown]
# ## Checkpoint: every order and every order line, once
#
# Count in Python, from the generator's events: the distinct orders, and the
# items of each (every snapshot of an order carries the same items; some orders of
# the window were created before it, so only their later events are here). Count
# in SQL: the rows of `int_order_lifecycle` and `int_order_items_flattened`.

# %%
events = generator.generate_events(settings.seed, start, end)
items_per_order = {e.body["order"]["order_id"]: len(e.body["order"]["items"]) for e in events if e.body["order"]}
in_sql = warehouse(
    "select (select count(*) from intermediate.int_order_lifecycle) as orders, "
    "(select count(*) from intermediate.int_order_items_flattened) as lines"
)
in_python = (len(items_per_order), sum(items_per_order.values()))
in_sql = (int(in_sql["orders"][0]), int(in_sql["lines"][0]))
print(f"orders and order lines: Python {in_python}, SQL {in_sql}")
assert in_python == in_sql

# %% [markdown]
# ## Your turn
#
# 1. How long do sessions last? Plot `last_event_at - session_started_at` from
#    `int_session_events`, with and without the orders' later lifecycle events.
# 2. Which share of orders is cancelled, and for which `cancel_reason`? Is it the
#    same on weekdays and at the weekend (widen the window)?
# 3. Break `int_order_items_flattened` in the copy (number the lines from 0):
#    which unit test fails, and what does it print?
# 4. Write a unit test of your own in the copy's `_intermediate.yml`: an order
#    paid and then cancelled by the customer is not revenue.
