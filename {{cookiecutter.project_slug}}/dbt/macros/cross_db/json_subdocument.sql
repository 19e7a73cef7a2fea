{#-
    json_subdocument(column, path): a JSON object or array inside a document,
    kept as JSON (DuckDB type JSON, Snowflake VARIANT) so a later model can
    flatten it, e.g. an order's items array carried from staging to intermediate.

        {{ json_subdocument('raw_events.event', 'order.items') }}

    Why a macro: DuckDB needs json_extract (json_extract_string would turn the
    array into text), Snowflake's path syntax already returns a VARIANT.
-#}
{% macro json_subdocument(column, path) %}
    {{- return(adapter.dispatch('json_subdocument')(column, path)) -}}
{% endmacro %}


{% macro duckdb__json_subdocument(column, path) -%}
    {%- set json_path -%}
        ${% for element in path.split('.') %}."{{ element }}"{% endfor %}
    {%- endset -%}
    json_extract({{ column }}, '{{ json_path }}')
{%- endmacro %}


{% macro snowflake__json_subdocument(column, path) -%}
    {{ column }}{% for element in path.split('.') %}{{ ':' if loop.first else '.' }}"{{ element }}"{% endfor %}
{%- endmacro %}
