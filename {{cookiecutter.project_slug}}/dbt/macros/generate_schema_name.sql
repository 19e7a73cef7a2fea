{#- Use each layer's schema name as written (staging, marts, ...), not dbt's
    default "<target schema>_<custom schema>", so both targets show the same layout. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
