# %% [markdown]
# # 6. Marts: facts, dimensions and when an order becomes revenue
#
# **What you will learn**
#
# - what a table's *grain* is (what one row means), and how to check it;
# - the star schema: facts (`fct_orders`, `fct_order_items`) that you measure,
#   a dimension (`dim_customers`) that you slice them by;
# - revenue recognition: an order counts as revenue once paid, and stops counting
#   when cancelled;
# - why the marts' columns are an *enforced contract*, and what breaking it does.
#
# **Where this sits.** *dbt: staging -> intermediate -> **marts** -> analytics* ->
# dashboard. The models are in `dbt/models/marts/` with their contracts and tests
# in `_marts.yml`; `make transform` builds them.
#
# This notebook builds its own warehouse in `data/notebooks/06_marts/`, and runs
# dbt from its own copy of the dbt project, which it edits on purpose below.

# %% tags=["parameters"] test_parameters={"days": 1}
seed = None  # None: your project's seed (EVENT_SEED, or the one chosen when it was generated)
day = "2025-10-01"
days = 7  # the window to generate and build

# %%
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import lesson
import matplotlib.pyplot as plt

generator = lesson.module("ingest.generator")
start = datetime.fromisoformat(day).replace(tzinfo=UTC)
end = start + timedelta(days=days)
MARTS = ["--select", "+path:models/marts", "--indirect-selection", "cautious"]
settings = lesson.build_window(
    "06_marts", start, end, *MARTS, copy_dbt=True, **({} if seed is None else {"seed": seed})
)


def warehouse(statement, params=None):
    return lesson.query(statement, warehouse=settings.warehouse_path, params=params)


# %% [markdown]
# ## Grain: what one row means
#
# Before you sum anything, know what a row is. Each mart states its grain in its
# YAML, and its key is tested `unique`: if two rows shared an order, every sum
# over orders would count it twice.

# %%
warehouse(lesson.sql("06_grain"))

# %% [markdown]
# ## A star: facts in the middle, dimensions around
#
# Facts hold what you measure (amounts, quantities), at their grain; dimensions
# hold what you slice by (a customer's country, segment). A question joins the
# facts to the dimensions it needs: revenue by country and category takes the
# order lines and their customers.

# %%
warehouse(lesson.sql("06_star"))

# %% [markdown]
# ## Revenue recognition
#
# A created order is a promise; the money counts once it is *paid*. A paid order
# stays revenue when it is shipped, and stops being revenue if it is cancelled.
# `fct_orders` carries the rule as `is_revenue` and `net_revenue` (the order's
# `total_amount`, which already includes tax and shipping, or 0).

# %%
warehouse(
    "select order_status, is_revenue, count(*) as orders, sum(total_amount) as total_amount, "
    "sum(net_revenue) as net_revenue from marts.fct_orders group by all order by orders desc"
)

# %%
by_day = warehouse(lesson.sql("06_revenue_by_day")).set_index("order_date").astype(float)
by_day.index = [order_date.strftime("%a\n%d %b") for order_date in by_day.index]
by_day = by_day.rename(columns=lambda name: name.replace("_", " "))
axes = by_day.plot.bar(
    stacked=True, figsize=(9, 3.5), color=["#55a868", "#c44e52", "#ccb974"], title="Order value by day of creation"
)
axes.set_xlabel("order date")
axes.set_ylabel("USD")
axes.tick_params(axis="x", rotation=0)
plt.show()

# %% [markdown]
# The first bars come before the window starts: orders created up to three days
# earlier whose payment or shipping events fall inside it. The red is what a
# "sum of the order amounts" would wrongly count as revenue. An order created
# in the last minutes of the window would show as *awaiting payment* until its
# payment event arrives.
#
# ## Break it on purpose: an enforced contract
#
# The dashboard reads `total_amount` as a decimal with two places. The marts'
# columns and types are declared in `_marts.yml` with `contract: enforced`: dbt
# checks the model's SQL against them *before* it builds, so a changed type fails
# the build, not a chart. In this notebook's copy, compute `total_amount` as a
# floating-point number. The next cell is *meant* to fail with `PipelineError`.

# %%
model = settings.dbt_dir / "models/marts/fct_orders.sql"
lesson.edit(model, "        total_amount,\n", "        cast(total_amount as double) as total_amount,\n")
rows_before = warehouse("select count(*) as n from marts.fct_orders")["n"][0]

# %% tags=["raises-exception"] expected_exception="PipelineError"
lesson.dbt(settings, "run", "--select", "fct_orders")

# %% [markdown]
# dbt named the column and both types, and built nothing: the table the dashboard
# reads is the one from before. Put the model back (the next build would pass).

# %%
print("fct_orders rows, still:", warehouse("select count(*) as n from marts.fct_orders")["n"][0] == rows_before)
lesson.edit(model, "        cast(total_amount as double) as total_amount,\n", "        total_amount,\n")

# %% [markdown]
# ## Checkpoint: recognised revenue, from the events themselves
#
# Compute the recognised revenue in Python, straight from the generator's events:
# each order's status is that of its latest event, and a paid or fulfilled order
# counts its `total_amount`. Then sum `net_revenue` in `fct_orders`.

# %%
STEP = {"order_created": 1, "order_paid": 2}  # other lifecycle events come last (3), as in int_order_lifecycle
latest = {}
for event in generator.generate_events(settings.seed, start, end):
    order = event.body["order"]
    if order is None:
        continue
    rank = (event.timestamp, STEP.get(event.body["event_type"], 3), event.event_id)
    if order["order_id"] not in latest or rank > latest[order["order_id"]][0]:
        latest[order["order_id"]] = (rank, order["status"], Decimal(str(order["total_amount"])))
in_python = sum(amount for _, status, amount in latest.values() if status in ("paid", "fulfilled"))
in_sql = warehouse("select sum(net_revenue) as revenue from marts.fct_orders")["revenue"][0]
print(f"recognised revenue: Python ${in_python:,.2f}, fct_orders ${in_sql:,.2f}")
assert in_python == Decimal(str(in_sql))

# %% [markdown]
# ## Your turn
#
# 1. Find the customers whose `customer_segment` in `dim_customers` is `vip`: how
#    much of the revenue do they bring?
# 2. Drop the column `carrier` from the copy's `fct_orders.sql` and build: what
#    does the contract say this time?
# 3. Recognise revenue at *fulfilment* instead of payment (in the copy of
#    `int_order_lifecycle`): how does the last day's bar change? Which test or
#    unit test notices?
# 4. Add a `dim_products` dimension to the copy (one row per product, from
#    `fct_order_items`) and give it a grain test.
