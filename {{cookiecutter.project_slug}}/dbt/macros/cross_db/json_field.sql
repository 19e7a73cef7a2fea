{#-
    json_field(column, path, data_type): one scalar of a JSON document, typed.

        {{ json_field('raw_events.event', 'order.total_amount', 'decimal(12,2)') }}

    `path` is dotted ('customer.customer_id'); every element is quoted, because
    keys such as `order` are SQL keywords. A JSON null or a missing key gives
    SQL null. Why a macro: DuckDB stores the event as JSON and reads it with
    json_extract_string, Snowflake stores it as VARIANT and reads it with the
    `column:"key"` path syntax, so the models would otherwise differ per warehouse.

    data_type 'timestamp' is special: the JSON holds ISO-8601 strings with an
    offset ('2025-10-03T18:41:28.647Z'). Both warehouses return a plain UTC
    timestamp without time zone (DuckDB: a plain cast would drop a non-Z offset
    instead of applying it; Snowflake: timestamp_ntz would ignore the offset).
-#}
{% macro json_field(column, path, data_type) %}
    {{- return(adapter.dispatch('json_field')(column, path, data_type)) -}}
{% endmacro %}


{% macro duckdb__json_field(column, path, data_type) -%}
    {%- set json_path -%}
        ${% for element in path.split('.') %}."{{ element }}"{% endfor %}
    {%- endset -%}
    {%- set value = "json_extract_string(" ~ column ~ ", '" ~ json_path ~ "')" -%}
    {%- if data_type | lower in ('timestamp', 'timestamp_ntz') -%}
        timezone('UTC', cast({{ value }} as timestamptz))
    {%- else -%}
        cast({{ value }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}


{% macro snowflake__json_field(column, path, data_type) -%}
    {%- set value -%}
        {{ column }}{% for element in path.split('.') %}{{ ':' if loop.first else '.' }}"{{ element }}"{% endfor %}
    {%- endset -%}
    {%- if data_type | lower in ('timestamp', 'timestamp_ntz') -%}
        cast(convert_timezone('UTC', cast(cast({{ value }} as varchar) as timestamp_tz)) as timestamp_ntz)
    {%- else -%}
        cast({{ value }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}
