# %% [markdown]
# # 7. Analytics: RFM segments, the funnel and lifetime value
#
# **What you will learn**
#
# - how RFM (recency, frequency, monetary) scores turn customers into segments a
#   marketer can act on;
# - how to read the session funnel, step by step;
# - how concentrated lifetime value is: what share of the revenue the best
#   customers bring;
# - how to make sure a figure means the same everywhere: the notebook, the KPI
#   summary and the dashboard all give one answer.
#
# **Where this sits.** *dbt: marts -> **analytics*** -> dashboard. The models are in
# `dbt/models/analytics/` (`analytics_customer_summary`, `analytics_orders`,
# `analytics_sessions`, `analytics_order_items`); the KPI summary in
# `src/<package>/warehouse/kpis.py` (`make kpis`).

# %% [markdown] requires="dashboard"
# The dashboard's queries are in `dashboard/queries.py` (`make dashboard`).

# %% [markdown]
# This notebook only *reads* the published tables of your pipeline's warehouse
# (`data/warehouse.duckdb`, after `make demo`): read-only, each query closing the
# file at once, so `make transform` can run while it is open.

# %% tags=["parameters"] test_parameters={"top_share": 0.1}
top_share = 0.2  # "the top 20% of customers bring ...% of the revenue"

# %%
from decimal import Decimal

import lesson
import matplotlib.pyplot as plt
import pandas as pd

kpis_module = lesson.module("warehouse.kpis")
kpis = kpis_module.read_kpis(lesson.DEMO_WAREHOUSE)
print(kpis_module.format_kpis(kpis))

# %% [markdown]
# ## RFM: three scores per customer
#
# For every customer with a paid order, `analytics_customer_summary` measures how
# recently they bought (R), how many revenue orders they placed (F) and how much
# they spent (M), and ranks each into quintiles: 5 is best. Rules on the three
# scores name the segment: *Champions* bought recently, often and a lot; *At
# Risk* used to buy often but not lately; *Hibernating* did neither.

# %%
segments = lesson.query(lesson.sql("07_rfm_segments"))
segments["share_of_revenue"] = (segments["revenue"] / segments["revenue"].sum()).astype(float).round(3)
segments.head(10)

# %%
grid = lesson.query(lesson.sql("07_rfm_grid"))
customers = grid.pivot(index="f_score", columns="r_score", values="customers").fillna(0)
spend = grid.pivot(index="f_score", columns="r_score", values="mean_monetary").astype(float)
figure, axes = plt.subplots(figsize=(6.5, 5))
image = axes.imshow(spend, origin="lower", cmap="viridis")
for f_index, f_score in enumerate(customers.index):
    for r_index, r_score in enumerate(customers.columns):
        axes.text(r_index, f_index, int(customers.loc[f_score, r_score]), ha="center", va="center", color="white")
axes.set_xticks(range(len(customers.columns)), customers.columns)
axes.set_yticks(range(len(customers.index)), customers.index)
axes.set_xlabel("recency score (5 = bought most recently)")
axes.set_ylabel("frequency score (5 = most orders)")
axes.set_title("Customers per RFM cell, coloured by mean spend")
figure.colorbar(image, label="mean monetary (USD)")
plt.show()

# %% [markdown]
# ## The funnel
#
# Of the sessions, how many viewed a product, added one to the cart, started a
# checkout and placed an order? Each step loses visitors; the conversion the KPI
# summary prints is the last step over all sessions.

# %%
funnel = lesson.query(lesson.sql("07_funnel")).iloc[0].astype(int)
sessions = kpis.sessions
steps = pd.DataFrame({"sessions": funnel, "share_of_all_sessions": (funnel / sessions).round(3)})
steps["kept_from_previous_step"] = (steps["sessions"] / steps["sessions"].shift()).round(3)
steps.head()

# %%
figure, axes = plt.subplots(figsize=(8, 3))
axes.barh(steps.index[::-1], steps["sessions"][::-1], color="#4c72b0")
for position, value in enumerate(steps["sessions"][::-1]):
    axes.text(value, position, f" {value:,} ({value / sessions:.1%})", va="center")
axes.set_xlabel("sessions")
axes.set_title(f"The funnel of {sessions:,} sessions")
axes.set_xlim(0, sessions * 1.25)
plt.show()

# %% [markdown]
# ## Lifetime value: how concentrated is revenue?
#
# A customer's lifetime value so far is the revenue of all their orders. Sort the
# buyers from the most valuable down and add up: the curve says what share of the
# revenue the top share of customers brings.

# %%
value = lesson.query(lesson.sql("07_customer_value"))
value["lifetime_value"] = value["lifetime_value"].astype(float)
cumulative = value["lifetime_value"].cumsum() / value["lifetime_value"].sum()
share_of_customers = (value.index + 1) / len(value)
top = cumulative[share_of_customers <= top_share].iloc[-1]
figure, axes = plt.subplots(figsize=(6, 4.5))
axes.plot(share_of_customers, cumulative, color="#4c72b0", label="buyers, most valuable first")
axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="if every buyer spent the same")
axes.axvline(top_share, color="#c44e52", linewidth=1)
axes.annotate(f"top {top_share:.0%} bring {top:.0%}", (top_share, top), xytext=(top_share + 0.05, top - 0.15))
axes.set_xlabel("share of buyers")
axes.set_ylabel("share of revenue")
axes.set_title("Lifetime value: cumulative share of revenue")
axes.legend(loc="lower right")
plt.show()
print(f"{len(value):,} buyers; median lifetime value ${value['lifetime_value'].median():,.2f}")

# %% [markdown]
# ## Break it on purpose: a plausible but wrong revenue
#
# "Revenue is the sum of the order amounts" sounds right. It counts cancelled
# orders and orders never paid. The figure the whole company uses is the KPI
# summary's; compare with it. The next cell is *meant* to fail with
# `AssertionError`.

# %%
naive_revenue = lesson.query("select sum(total_amount) as revenue from analytics.analytics_orders")["revenue"][0]
print(f"sum of all order amounts ${naive_revenue:,.2f}; KPI revenue ${kpis.revenue:,.2f}")

# %% tags=["raises-exception"] expected_exception="AssertionError"
assert Decimal(str(naive_revenue)) == kpis.revenue, "the naive revenue is not the KPI revenue"

# %% [markdown]
# ## Checkpoint: one figure, three places
#
# The orders and the revenue, computed independently: this notebook's own SQL and
# the KPI summary (`make kpis`). The RFM segments' revenue must add up to the same
# figure too.

# %%
headline = lesson.query(lesson.sql("07_headline")).iloc[0]
revenue = Decimal(str(headline["revenue"])).quantize(Decimal("0.01"))
segment_revenue = Decimal(str(segments["revenue"].sum())).quantize(Decimal("0.01"))
print(f"notebook: {int(headline['orders']):,} orders, ${revenue:,.2f}; RFM segments: ${segment_revenue:,.2f}")
print(f"KPI summary: {kpis.orders:,} orders, ${kpis.revenue:,.2f}")
assert (headline["orders"], revenue) == (kpis.orders, kpis.revenue)
assert segment_revenue == kpis.revenue
assert funnel["placed_an_order"] == kpis.converted_sessions

# %% [markdown] requires="dashboard"
# A third way: the dashboard's KPI and funnel panels' SQL (`dashboard/queries.py`),
# run with every date and channel selected, must show the same figures.

# %% requires="dashboard"
import importlib
import sys

sys.path.insert(0, str(lesson.PROJECT_DIR / "dashboard"))
queries = importlib.import_module("queries")  # the dashboard's own SQL: dashboard/queries.py

overview = queries.overview_queries("analytics")
dates = lesson.query(overview["overview"].sql).iloc[0]
channels = tuple(lesson.query(overview["channels"].sql)["channel"])
everything = queries.Filters(start=dates["first_order_date"], end=dates["last_order_date"], channels=channels)
panels = queries.panel_queries("analytics", everything)
panel = lesson.query(panels["kpis"].sql, params=list(panels["kpis"].params)).iloc[0]
panel_funnel = lesson.query(panels["funnel"].sql, params=list(panels["funnel"].params))
print(f"dashboard: {int(panel['orders']):,} orders, ${panel['revenue']:,.2f}")
assert (panel["orders"], Decimal(str(panel["revenue"])).quantize(Decimal("0.01"))) == (kpis.orders, kpis.revenue)
assert list(panel_funnel["sessions"][:4]) == list(funnel)

# %% [markdown]
# ## Your turn
#
# 1. Which segment has the highest revenue per customer, and which the most
#    customers? Would you email the *At Risk* or the *Hibernating* first?
# 2. Split the funnel by `channel` (`analytics_sessions`): which channel converts
#    best from cart to order?
# 3. Set `top_share = 0.05`: how much do the top 5% of buyers bring? Compare with
#    the `vip` customers of `dim_customers` (notebook 6).
# 4. Compute the average order value two ways (the KPI summary's, and yours from
#    `analytics_orders`), and explain why it divides by revenue orders, not orders.
