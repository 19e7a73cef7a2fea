{#-
    json_fields(column, fields): several typed scalars of one JSON document, as a
    select list (`expression as name, ...`), for a model that unpacks many fields.

        select
            {{ json_fields('raw_events.event', [
                ('event_id', 'event_id', 'varchar'),
                ('order_total', 'order.total_amount', 'decimal(12,2)'),
                ('order_items', 'order.items', 'json'),
            ]) }}

    Each field is (name, dotted path, data_type), typed as json_field types it,
    except that a value which does not convert gives null (try_cast), not an error:
    json_fields_unconverted (macros/staging/) names such values, so none goes unseen;
    data_type 'json' keeps a subdocument as JSON/VARIANT, as json_subdocument does.

    Why a macro next to json_field: DuckDB stores the event as text and parses it in
    every json_extract call, so 36 json_field calls parse each event 36 times. Here
    every field reads the same json_extract_string(column, [all paths]), which DuckDB
    computes once per row (common subexpression elimination): about 6x less CPU.
    Snowflake's VARIANT is parsed once at load, so each field is a plain path.
-#}
{% macro json_fields(column, fields) %}
    {{- return(adapter.dispatch('json_fields')(column, fields)) -}}
{% endmacro %}


{% macro duckdb__json_fields(column, fields) -%}
    {%- set all_values = duckdb_json_values(column, fields) -%}
    {%- for field in fields -%}
        {%- set value = all_values ~ "[" ~ loop.index ~ "]" -%}
        {%- set data_type = field[2] | lower -%}
        {%- if data_type in ('timestamp', 'timestamp_ntz') -%}
            timezone('UTC', try_cast({{ value }} as timestamptz))
        {%- else -%}
            try_cast({{ value }} as {{ data_type }})
        {%- endif %} as {{ field[0] }}{{ ",\n" if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{% macro snowflake__json_fields(column, fields) -%}
    {%- for field in fields -%}
        {%- set value -%}
            cast({{ column }}{% for element in field[1].split('.') %}{{ ':' if loop.first else '.' }}"{{ element }}"{% endfor %} as varchar)
        {%- endset -%}
        {%- set data_type = field[2] | lower -%}
        {%- if data_type == 'json' -%}
            {{ json_subdocument(column, field[1]) }}
        {%- elif data_type in ('timestamp', 'timestamp_ntz') -%}
            cast(convert_timezone('UTC', try_cast({{ value }} as timestamp_tz)) as timestamp_ntz)
        {%- elif data_type == 'varchar' -%}
            {{ value }}
        {%- else -%}
            try_cast({{ value }} as {{ data_type }})
        {%- endif %} as {{ field[0] }}{{ ",\n" if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{#- DuckDB: every field's value as text, from one json_extract_string(column, [all paths])
    that DuckDB parses once per row; element i (from 1) is fields[i - 1]'s value. -#}
{% macro duckdb_json_values(column, fields) -%}
    {%- set json_paths = [] -%}
    {%- for field in fields -%}
        {%- set json_path -%}
            ${% for element in field[1].split('.') %}."{{ element }}"{% endfor %}
        {%- endset -%}
        {%- do json_paths.append("'" ~ json_path ~ "'") -%}
    {%- endfor -%}
    {{- "json_extract_string(" ~ column ~ ", [" ~ json_paths | join(', ') ~ "])" -}}
{%- endmacro %}
