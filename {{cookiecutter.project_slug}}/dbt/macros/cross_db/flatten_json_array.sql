{#-
    flatten_json_array(array_expression): a lateral table with one row per
    element of a JSON array, for use after `cross join` in a FROM clause:

        from orders
        cross join {{ flatten_json_array('orders.order_items') }} as order_lines

    Its columns mirror Snowflake's FLATTEN: `value` (the element, JSON/VARIANT,
    read it with json_field) and `index` (0-based position). A null or empty
    array yields no rows, as an inner lateral join.

    Why a macro: Snowflake has the table function lateral flatten(input => ...);
    DuckDB unnests the list that json_extract(..., '$[*]') returns and numbers
    the elements with generate_subscripts (1-based, hence the - 1).
-#}
{% macro flatten_json_array(array_expression) %}
    {{- return(adapter.dispatch('flatten_json_array')(array_expression)) -}}
{% endmacro %}


{% macro duckdb__flatten_json_array(array_expression) -%}
    lateral (
        select
            unnest(json_extract({{ array_expression }}, '$[*]')) as value,
            generate_subscripts(json_extract({{ array_expression }}, '$[*]'), 1) - 1 as index
    )
{%- endmacro %}


{% macro snowflake__flatten_json_array(array_expression) -%}
    lateral flatten(input => {{ array_expression }})
{%- endmacro %}
