{% raw %}"""One dbt project, two warehouses: adapter-specific SQL lives only in dispatched macros.

Models and singular tests are scanned, after their Jinja and comments are removed
(what `{{ json_field(...) }}` expands to is the macro's business), for functions,
types and syntax that only DuckDB or only Snowflake understands. Every dispatched
macro must then have a DuckDB and a Snowflake (or default) implementation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import PROJECT_DIR

DBT_DIR = PROJECT_DIR / "dbt"
# What a model must not write itself, and the macro (or dbt cross-database macro) to use instead.
ADAPTER_SPECIFIC = {
    # DuckDB JSON and list functions, types and operators
    r"\bjson_extract(_string|_path)?\s*\(": "json_field / json_subdocument",
    r"\bjson_(valid|type|array_length|keys|structure|transform)\s*\(": "a cross_db macro",
    r"->>?": "json_field (DuckDB's JSON arrow)",
    r"::\s*json\b|\bas\s+json\b": "json_subdocument (the column type differs: JSON vs VARIANT)",
    r"\b(unnest|generate_subscripts|list_\w+|array_length)\s*\(": "flatten_json_array",
    r"\b(read_json\w*|read_csv\w*|read_parquet|glob)\s*\(": "the source raw.raw_events",
    r"\b(strftime|strptime|epoch_ms|epoch|make_timestamp|to_timestamp)\s*\(": "dbt.date_trunc / a cast",
    r"\b(date_diff|date_add|date_sub|datediff|dateadd|timestampdiff)\s*\(": "dbt.datediff / dbt.dateadd",
    r"\bdatetrunc\s*\(|\bdate_trunc\s*\(\s*'?\w+'?\s*,\s*\w+\s*::": "dbt.date_trunc",
    r"\b(string_agg|listagg|group_concat)\s*\(": "dbt.listagg",
    r"\b(timestamptz|hugeint|ubigint|uinteger)\b": "timestamp / bigint",
    # Snowflake VARIANT, FLATTEN and its other dialect
    r"\b(parse_json|try_parse_json|object_construct|array_construct|array_size|to_variant)\s*\(": "a cross_db macro",
    r"\bflatten\s*\(": "flatten_json_array",
    r"\b\w+\s*:\s*\"?[a-z_]\w*\"?(\.\"?\w+\"?)*": "json_field (Snowflake's path syntax)",
    r"\b(variant|timestamp_ntz|timestamp_tz|timestamp_ltz|object)\b": "json_subdocument / timestamp",
    r"\b(convert_timezone|to_timestamp_ntz|to_varchar|to_number|iff|nvl|zeroifnull)\s*\(": "a cast / coalesce / case",
    r"\bmetadata\$\w+|\$\d\b": "copy_into_raw_events",
}


def without_jinja_and_comments(sql: str) -> str:
    """The SQL a model writes itself: macro calls, Jinja blocks and comments removed."""
    for pattern in (r"\{#.*?#\}", r"\{\{.*?\}\}", r"\{%.*?%\}", r"/\*.*?\*/", r"--[^\n]*", r"'(?:[^']|'')*'"):
        sql = re.sub(pattern, " ", sql, flags=re.DOTALL)
    return sql


def adapter_specific_sql(sql: str) -> list[str]:
    """Each adapter-specific construct in the SQL, with the macro that should hold it."""
    code = without_jinja_and_comments(sql)
    return [
        f"{match.group(0).strip()!r} (use {instead})"
        for pattern, instead in ADAPTER_SPECIFIC.items()
        for match in re.finditer(pattern, code, re.IGNORECASE)
    ]


SQL_FILES = sorted([*DBT_DIR.glob("models/**/*.sql"), *DBT_DIR.glob("tests/**/*.sql")])


@pytest.mark.parametrize("path", SQL_FILES, ids=lambda path: str(path.relative_to(DBT_DIR)))
def test_models_and_tests_hold_no_adapter_specific_sql(path: Path):
    assert adapter_specific_sql(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "planted",
    [
        "select json_extract_string(event, '$.event_id') as event_id from raw_events",
        "select event->>'event_id' as event_id from raw_events",
        "select cast(event as json) as doc from raw_events",
        "select unnest(items) as item from orders",
        "select strftime(ts, '%Y') as year from events",
        "select datediff('day', a, b) as days from t",
        "select event:order.total_amount as total from raw_events",
        "select value from orders, lateral flatten(input => orders.items)",
        "select parse_json(line) as event from lines",
        "select cast(ts as timestamp_ntz) as ts from events",
    ],
)
def test_the_scan_catches_planted_adapter_specific_sql(planted: str):
    assert adapter_specific_sql(planted), planted


def test_macro_calls_comments_and_strings_are_not_flagged():
    sql = """
        -- json_extract in a comment, and /* flatten( */ in another
        select
            {{ json_field('raw_events.event', 'order.total_amount', 'decimal(12,2)') }} as total_amount,
            {{ dbt.datediff('a', 'b', 'day') }} as days,
            'unnest(' as a_string,
            cast(order_created_at as date) as order_date
        from raw_events
        cross join {{ flatten_json_array('orders.order_items') }} as order_line
        qualify row_number() over (partition by order_id order by loaded_at) = 1
    """
    assert adapter_specific_sql(sql) == []


def dispatched_macros() -> dict[str, str]:
    """Each macro that dispatches on the adapter, and the text of the macro files."""
    macros = {}
    for path in DBT_DIR.glob("macros/**/*.sql"):
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"adapter\.dispatch\(\s*'(\w+)'", text):
            macros[name] = text
    return macros


def test_every_dispatched_macro_has_a_duckdb_and_a_snowflake_implementation():
    macros = dispatched_macros()
    assert {"json_field", "json_subdocument", "flatten_json_array", "copy_into_raw_events"} <= set(macros)
    every_macro = "\n".join(path.read_text() for path in DBT_DIR.glob("macros/**/*.sql"))
    for name in macros:
        defined = set(re.findall(r"\{%-?\s*macro\s+(\w+)__" + name + r"\s*\(", every_macro))
        assert "duckdb" in defined or "default" in defined, f"{name}: no duckdb__ or default__ implementation"
        assert "snowflake" in defined or "default" in defined, f"{name}: no snowflake__ or default__ implementation"{% endraw %}
