"""The e-commerce dashboard: KPI tiles and panels on the analytics tables dbt builds.

Start it with `make dashboard` (http://localhost:8501). Every figure comes from the
SQL in queries.py; this file only lays the figures out. Each rerun opens the
warehouse read-only for one batch of queries and closes it again
(warehouse_connection.py).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import queries  # dashboard/queries.py: Streamlit puts the app's folder on the import path
import streamlit as st
from queries import Filters
from warehouse_connection import (
    RUN_PIPELINE_FIRST,
    DashboardError,
    Source,
    WarehouseBusy,
    WarehouseNotReady,
    run_batch,
)

# Snowflake bills while it computes: ask it again at most every 10 minutes for the same
# filters. The local file needs no such limit: its version is part of the cache key.
# The name given when the project was generated, whatever its length (so no line-length rule for it).
PROJECT_NAME = {{ cookiecutter.project_name | python_string }}  # noqa: E501
CACHE_SECONDS = 600
MONEY = st.column_config.NumberColumn(format="dollar")
SHARE = st.column_config.NumberColumn(format="percent")


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Reading the warehouse...")
def read_overview(source: Source, data_version: str) -> dict[str, pd.DataFrame]:
    return run_batch(source, queries.overview_queries(source.schema))


@st.cache_data(ttl=CACHE_SECONDS, show_spinner="Reading the warehouse...")
def read_panels(source: Source, filters: Filters, data_version: str) -> dict[str, pd.DataFrame]:
    return run_batch(source, queries.panel_queries(source.schema, filters))


def read(reader, source: Source, *args, stale: list[datetime]) -> dict[str, pd.DataFrame]:
    """The figures from `reader`, remembered in this browser session.

    While the pipeline writes, the figures this session last read with the same
    arguments stand in for new ones (their time goes in `stale`); with none to
    stand in, WarehouseBusy goes up to the page.
    """
    last_reads = st.session_state.setdefault("last_reads", {})
    key = (reader.__name__, source, *args)
    try:
        figures = reader(source, *args, source.data_version())
    except WarehouseBusy:
        if key not in last_reads:
            raise
        figures, read_at = last_reads[key]
        stale.append(read_at)
        return figures
    last_reads[key] = (figures, datetime.now())
    return figures


def show_filters(overview: pd.DataFrame, channels: list[str]) -> Filters | None:
    first, last = overview.at[0, "first_order_date"], overview.at[0, "last_order_date"]
    st.sidebar.header("Filters")
    dates = st.sidebar.date_input(
        "Order dates", value=(first, last), min_value=first, max_value=last, key="dates", format="YYYY-MM-DD"
    )
    chosen = st.sidebar.multiselect("Channels", channels, default=channels, key="channels")
    st.sidebar.caption("Both filters apply to every panel: orders by their order date and channel, sessions by start.")
    if len(dates) != 2:
        st.info("Pick the last day of the date range.")
        return None
    if not chosen:
        st.info("Pick at least one channel.")
        return None
    return Filters(start=dates[0], end=dates[1], channels=tuple(chosen))


def show_kpis(kpis: pd.DataFrame) -> None:
    row = kpis.to_dict("records")[0]
    tiles = st.columns([3, 2, 2, 2, 2])  # revenue, to the cent, is the longest figure
    tiles[0].metric(
        "Revenue", f"${row['revenue']:,.2f}", help="Orders paid and not cancelled; includes tax and shipping"
    )
    tiles[1].metric("Orders", f"{int(row['orders']):,}", help="Every order created, whatever its status")
    aov = "n/a" if pd.isna(row["average_order_value"]) else f"${row['average_order_value']:,.2f}"
    tiles[2].metric("Average order value", aov, help="Revenue per revenue order")
    tiles[3].metric("Customers", f"{int(row['customers']):,}", help="Customers who placed an order")
    conversion = "n/a" if pd.isna(row["conversion_rate"]) else f"{row['conversion_rate']:.1%}"
    tiles[4].metric("Conversion rate", conversion, help=f"Sessions that placed an order, of {int(row['sessions']):,}")


def show_table(frame: pd.DataFrame, **column_config) -> None:
    st.dataframe(frame, hide_index=True, column_config=column_config, width="stretch")


def show_panels(panels: dict[str, pd.DataFrame]) -> None:
    left, right = st.columns(2)
    with left:
        st.subheader("Revenue over time")
        st.line_chart(panels["revenue_over_time"], x="order_date", y="revenue", x_label="Order date", y_label="$")
        with st.expander("Figures"):
            show_table(panels["revenue_over_time"], revenue=MONEY)
    with right:
        st.subheader("Revenue by channel")
        st.bar_chart(panels["by_channel"], x="channel", y="revenue", sort="-revenue", x_label="Channel", y_label="$")
        show_table(
            panels["by_channel"],
            revenue=MONEY,
            average_order_value=MONEY,
            conversion_rate=SHARE,
        )

    left, right = st.columns(2)
    with left:
        st.subheader("Merchandise revenue by category")
        st.caption("Line amounts of revenue orders, before tax and shipping.")
        st.bar_chart(
            panels["by_category"],
            x="category",
            y="merchandise_revenue",
            sort="-merchandise_revenue",
            x_label="Category",
            y_label="$",
        )
        show_table(panels["by_category"], merchandise_revenue=MONEY)
    with right:
        st.subheader("Orders by hour of day (UTC)")
        st.bar_chart(panels["by_hour"], x="hour_of_day", y="orders", sort=False, x_label="Hour (UTC)", y_label="Orders")
        with st.expander("Figures"):
            show_table(panels["by_hour"], revenue=MONEY)

    st.subheader("Merchandise revenue by product")
    st.bar_chart(
        panels["by_product"],
        x="product_name",
        y="merchandise_revenue",
        sort="-merchandise_revenue",
        x_label="",
        y_label="$",
        height=300,
    )
    with st.expander("Figures"):
        show_table(panels["by_product"], merchandise_revenue=MONEY)

    left, right = st.columns(2)
    with left:
        st.subheader("Session funnel")
        st.caption("Sessions that reached each step, and the share lost since the step before.")
        st.bar_chart(
            panels["funnel"], x="step", y="sessions", sort=False, horizontal=True, x_label="", y_label="Sessions"
        )
        show_table(panels["funnel"], share_of_viewers=SHARE, drop_off=SHARE)
    with right:
        st.subheader("RFM segments")
        st.caption("Customers with revenue orders in the selection, by their RFM segment.")
        st.bar_chart(panels["rfm_segments"], x="segment", y="revenue", sort="-revenue", x_label="Segment", y_label="$")
        show_table(
            panels["rfm_segments"],
            revenue=MONEY,
            revenue_per_customer=MONEY,
            share_of_revenue=SHARE,
        )

    left, right = st.columns(2)
    with left:
        st.subheader("Customer lifetime value")
        st.caption("The 100 customers with the most revenue in the selection.")
        show_table(
            panels["customer_lifetime_value"],
            lifetime_value=MONEY,
            average_order_value=MONEY,
        )
    with right:
        st.subheader("Revenue by country")
        st.bar_chart(panels["by_country"], x="country", y="revenue", sort="-revenue", x_label="Country", y_label="$")
        show_table(panels["by_country"], revenue=MONEY, average_order_value=MONEY)


def main() -> None:
    st.set_page_config(page_title=PROJECT_NAME, page_icon="📈", layout="wide")
    st.title(PROJECT_NAME)
    if st.sidebar.button("Reload figures", key="reload"):
        read_overview.clear()
        read_panels.clear()
    stale: list[datetime] = []
    try:
        source = Source.from_env()
        st.caption(f"Figures from {source.describe()}.")
        overview = read(read_overview, source, stale=stale)
        if overview["overview"].at[0, "orders"] == 0:
            raise WarehouseNotReady(f"The analytics tables have no orders yet. {RUN_PIPELINE_FIRST}")
        filters = show_filters(overview["overview"], overview["channels"]["channel"].tolist())
        if filters is None:
            return
        panels = read(read_panels, source, filters, stale=stale)
    except WarehouseBusy as busy:
        st.warning(f"⏳ {busy}")
        st.button("Retry", key="retry")
        return
    except WarehouseNotReady as not_ready:
        st.info(str(not_ready))
        return
    except DashboardError as error:
        st.error(str(error))
        return
    if stale:
        st.warning(
            f"⏳ The pipeline is writing to the warehouse right now: these are the figures read at "
            f"{min(stale):%H:%M:%S}. Retry in a moment for fresh ones."
        )
        st.button("Retry", key="retry")
    if panels["kpis"].at[0, "orders"] == 0:
        st.info("No orders in the selected dates and channels.")
    show_kpis(panels["kpis"])
    show_panels(panels)


main()
