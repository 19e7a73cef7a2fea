# %% [markdown]
# # 11. Reading the dashboard
#
# **What you will learn**
#
# - where the dashboard's figures come from: one SQL query per panel, run by the
#   warehouse on the published analytics tables (the app only draws);
# - how the filters (dates, channels) reach every query as bound parameters;
# - why the dashboard never holds the warehouse open, and what it says when the
#   tables are not there;
# - where Looker Studio fits: the same tables, the same definitions, on Snowflake.
#
# **Where this sits.** The last box: events -> lake -> warehouse -> dbt -> audit ->
# publish -> *dashboard*. The code is in `dashboard/`: `queries.py` holds every
# panel's SQL, `warehouse_connection.py` how it reaches DuckDB or Snowflake, and
# `app.py` draws them; `make dashboard` opens it in your browser.
#
# This notebook runs the dashboard's own queries, with its own connection code, on
# your project's warehouse (read-only): no browser needed. Run `make demo` first.

# %% tags=["parameters"] test_parameters={"days": 7}
days = 0  # 0: every day the warehouse holds; n: only its last n days
channels = []  # the channels to keep ([]: all of them), e.g. ["email", "organic_search"]

# %%
import sys
from datetime import timedelta

import lesson
import matplotlib.pyplot as plt
import pandas as pd

sys.path.insert(0, str(lesson.PROJECT_DIR / "dashboard"))  # the app's folder, as it imports its modules
import queries
import warehouse_connection

kpis_module = lesson.module("warehouse.kpis")
source = warehouse_connection.Source(
    target="local", schema=warehouse_connection.DEFAULT_SCHEMA, warehouse_path=lesson.DEMO_WAREHOUSE
)
print(source.describe())

# %% [markdown]
# ## What the filters offer
#
# The sidebar's choices come from the data itself: the first and last order dates
# and the channels. The first batch of queries asks for them.

# %%
overview = warehouse_connection.run_batch(source, queries.overview_queries(source.schema))
first_day, last_day = overview["overview"].loc[0, ["first_order_date", "last_order_date"]]
all_channels = tuple(overview["channels"]["channel"])
print(f"{overview['overview'].loc[0, 'orders']:,} orders from {first_day} to {last_day}; channels: {all_channels}")

# %% [markdown]
# ## Every panel is one query
#
# Set the filters as the sidebar would, and run the panels' batch: one short-lived,
# read-only connection, closed as soon as the answers are read. Each answer is a
# small table; here is the headline panel.

# %%
start = last_day - timedelta(days=days - 1) if days else first_day
filters = queries.Filters(start=start, end=last_day, channels=tuple(channels) or all_channels)
panel_queries = queries.panel_queries(source.schema, filters)
panels = warehouse_connection.run_batch(source, panel_queries)
print(f"{len(panels)} panels for {filters.start} to {filters.end}, {len(filters.channels)} channel(s)")
panels["kpis"].iloc[0].map(lambda value: f"{value:,.3f}".rstrip("0").rstrip(".")).to_frame("value")

# %% [markdown]
# Read one panel's SQL: the two filtered row sets every panel starts from (as
# `with` clauses), then the panel's own figure. The `?` are the filter values,
# bound by the driver, never pasted into the text.

# %%
print(panel_queries["revenue_over_time"].sql)
print("parameters:", panel_queries["revenue_over_time"].params)

# %% [markdown]
# ## Draw three panels
#
# What `app.py` does with the answers, with matplotlib instead of Streamlit. (The
# first and last weeks of the window are partial weeks.)

# %%
figure, (over_time, funnel, by_channel) = plt.subplots(1, 3, figsize=(14, 3.8))
revenue = panels["revenue_over_time"].set_index("order_date")["revenue"]
revenue.index = pd.to_datetime(revenue.index)
revenue.resample("W").sum().plot(ax=over_time, marker="o", color="#4c72b0", title="Revenue per week ($)")
steps = panels["funnel"].set_index("step")["sessions"]
steps.iloc[::-1].plot.barh(ax=funnel, color="#55a868", title="The funnel (sessions)")
panels["by_channel"].set_index("channel")["revenue"].sort_values().plot.barh(
    ax=by_channel, color="#dd8452", title="Revenue by channel ($)"
)
over_time.set_xlabel("")
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Where Looker Studio fits
#
# On the cloud path, the analytics tables live in Snowflake. The same app reads them
# there (`DASHBOARD_TARGET=snowflake`), or a team may prefer Looker Studio: a
# hosted BI tool that connects to Snowflake with its partner connector, one data
# source per table (`analytics_orders`, `analytics_order_items`,
# `analytics_customer_summary`), signed in with the read-only `reporter` role. The
# README's dashboard section walks through it.
#
# What must not change is the *definitions*. Looker Studio computes a figure from
# the rows of a data source with a calculated field, for instance the average
# order value as `SUM(net_revenue) / SUM(CASE WHEN is_revenue THEN 1 ELSE 0 END)`.
# Do what Looker Studio does: fetch the rows of `analytics_orders` within the
# filters, and compute it from them.

# %%
rows = lesson.query(
    "select order_date, channel, net_revenue, is_revenue from analytics.analytics_orders "
    "where order_date between ? and ?",
    params=[filters.start, filters.end],
)
rows = rows[rows["channel"].isin(filters.channels)]
looker_revenue = rows["net_revenue"].astype(float).sum()
looker_average_order_value = round(looker_revenue / rows["is_revenue"].sum(), 2)
pd.DataFrame(
    {
        "dashboard (SQL in the warehouse)": panels["kpis"].loc[0, ["revenue", "average_order_value"]].astype(float),
        "Looker Studio's way (rows, then a formula)": [round(looker_revenue, 2), looker_average_order_value],
    }
)

# %% [markdown]
# ## Checkpoint: the dashboard agrees with the pipeline's KPI summary
#
# One figure, two ways: the revenue and orders of the dashboard's headline panel
# over every day and channel, and the KPI summary that `make demo` prints (its own
# query, in `src/<package>/warehouse/kpis.py`). And, within your filters, the
# dashboard's revenue equals the Looker-style sum of rows above.

# %%
everything = queries.Filters(start=first_day, end=last_day, channels=all_channels)
headline = warehouse_connection.run_batch(source, {"kpis": queries.panel_queries(source.schema, everything)["kpis"]})
summary = kpis_module.read_kpis(lesson.DEMO_WAREHOUSE)
print(f"dashboard: {headline['kpis'].loc[0, 'orders']:,} orders, ${headline['kpis'].loc[0, 'revenue']:,.2f}")
print(f"KPI summary: {summary.orders:,} orders, ${summary.revenue:,.2f}")
assert headline["kpis"].loc[0, "orders"] == summary.orders
assert round(headline["kpis"].loc[0, "revenue"], 2) == float(summary.revenue)
assert round(panels["kpis"].loc[0, "revenue"], 2) == round(looker_revenue, 2)

# %% [markdown]
# ## Break it on purpose: a warehouse with nothing published
#
# Point the dashboard at a new, empty DuckDB file (in this notebook's folder). It
# does not show a traceback to the person looking at it: the missing tables become
# `WarehouseNotReady`, which the app turns into one sentence telling what to run.
# The next cell is *meant* to fail with that exception.

# %%
import duckdb

empty = lesson.workspace("11_dashboard") / "empty.duckdb"
duckdb.connect(str(empty)).close()
nothing_published = warehouse_connection.Source(target="local", schema=source.schema, warehouse_path=empty)

# %% tags=["raises-exception"] expected_exception="WarehouseNotReady"
warehouse_connection.run_batch(nothing_published, queries.overview_queries(nothing_published.schema))

# %% [markdown]
# ## Your turn
#
# 1. Set `channels = ["email"]` and `days = 30` in the parameters cell: how does
#    the funnel of email visitors compare with everyone's?
# 2. Which panel would you add? Write its query in the style of `panel_queries`
#    (start from `filtered_orders`) and run it with `run_batch`.
# 3. Set `DASHBOARD_SCHEMA=analytics_candidate` and the app reads the tables before
#    their audit. When would you want that, and why is it not the default?
# 4. Write the Looker Studio calculated field for the conversion rate, from
#    `analytics_sessions` (`has_order`), and check it against the headline panel.
