{#-
    materialized_cte(): the keyword that makes DuckDB compute a CTE once, however many
    parts of the query read it:

        parsed as {{ materialized_cte() }} (
            select ...
        )

    Why a macro: DuckDB may instead copy the CTE's query into each part that reads it,
    and run it again in each; `as materialized` is DuckDB's (and PostgreSQL's) syntax,
    which Snowflake does not accept, and Snowflake plans a CTE read twice on its own.
-#}
{% macro materialized_cte() %}
    {{- return(adapter.dispatch('materialized_cte')()) -}}
{% endmacro %}


{% macro duckdb__materialized_cte() -%}
    materialized
{%- endmacro %}


{% macro default__materialized_cte() -%}
{%- endmacro %}
