{#-
    Why stg_events sets an event aside (stg_quarantined_events lists it), as SQL
    expressions that give the reason, or null when there is none.
-#}

{#- json_fields_unconverted(column, fields): the fields of json_fields whose value is
    there but does not convert to its type, as "path: 'value' is not type; ..." -#}
{% macro json_fields_unconverted(column, fields) %}
    {{- return(adapter.dispatch('json_fields_unconverted')(column, fields)) -}}
{% endmacro %}


{% macro duckdb__json_fields_unconverted(column, fields) -%}
    {#- The same json_extract_string(column, [all paths]) as duckdb__json_fields: one parse per row. -#}
    {%- set all_values = duckdb_json_values(column, fields) -%}
    nullif(concat_ws('; '
    {%- for field in fields if field[2] | lower not in ('varchar', 'json') -%}
        {%- set value = all_values ~ "[" ~ (fields.index(field) + 1) ~ "]" -%}
        {%- set data_type = 'timestamptz' if field[2] | lower in ('timestamp', 'timestamp_ntz') else field[2] -%},
        case
            when {{ value }} is not null and try_cast({{ value }} as {{ data_type }}) is null
                then '{{ field[1] }}: ''' || left({{ value }}, 100) || ''' is not {{ field[2] }}'
        end
    {%- endfor -%}
    ), '')
{%- endmacro %}


{% macro snowflake__json_fields_unconverted(column, fields) -%}
    {#- Each reason starts with '; ', cut from the first one (Snowflake's concat_ws would give null). -#}
    nullif(substr(''
    {%- for field in fields if field[2] | lower not in ('varchar', 'json') -%}
        {%- set value -%}
            cast({{ column }}{% for element in field[1].split('.') %}{{ ':' if loop.first else '.' }}"{{ element }}"{% endfor %} as varchar)
        {%- endset -%}
        {%- set data_type = 'timestamp_tz' if field[2] | lower in ('timestamp', 'timestamp_ntz') else field[2] %}
        || coalesce(case
            when {{ value }} is not null and try_cast({{ value }} as {{ data_type }}) is null
                then '; {{ field[1] }}: ''' || left({{ value }}, 100) || ''' is not {{ field[2] }}'
        end, '')
    {%- endfor %}, 3), '')
{%- endmacro %}


{#- event_time_out_of_bounds(event_timestamp, loaded_at): an event time a device clock
    cannot honestly give for this load time (vars event_time_max_ahead_hours and
    event_time_max_age_days), as a reason. -#}
{% macro event_time_out_of_bounds(event_timestamp, loaded_at) -%}
    case
        when {{ event_timestamp }} > {{ dbt.dateadd('hour', var('event_time_max_ahead_hours'), loaded_at) }}
            then 'event_timestamp is more than {{ var("event_time_max_ahead_hours") }} hours after its load'
        when {{ event_timestamp }} < {{ dbt.dateadd('day', -var('event_time_max_age_days'), loaded_at) }}
            then 'event_timestamp is more than {{ var("event_time_max_age_days") }} days before its load'
    end
{%- endmacro %}
