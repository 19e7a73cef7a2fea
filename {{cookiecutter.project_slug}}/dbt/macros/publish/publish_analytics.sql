{#-
    Publish the audited analytics tables: the last step of write-audit-publish.

    `dbt build` writes the analytics models into their candidate schema
    (analytics_candidate); dashboards read the published schema (the var
    analytics_published_schema, `analytics`). Once the audit has passed (see
    publish.py in the project's package), this macro replaces every published table
    with its candidate, then moves the hourly tests' watermark (macros/tests/tested_rows.sql):
      - DuckDB: all tables in ONE transaction, so a reader sees the old tables or
        the new ones, never a mix;
      - Snowflake: CREATE OR REPLACE TABLE ... CLONE, a zero-copy clone per table (a
        metadata operation). A clone, not a swap: the candidates stay whole, because
        the incremental ones are merged into by the next build.

    Run it with:  dbt run-operation publish_analytics
    See what it would run:  dbt run-operation publish_analytics --args '{dry_run: true}'

    It logs one line per table, "published <schema>.<table>", which the pipeline reads.
-#}
{% macro publish_analytics(dry_run=false) %}
    {{ return(adapter.dispatch('publish_analytics')(dry_run)) }}
{% endmacro %}


{#- The tables of the analytics folder (table and incremental models), as (candidate relation,
    table name), sorted by name. -#}
{% macro analytics_candidate_tables() %}
    {%- set tables = [] -%}
    {%- for node in graph.nodes.values()
            | selectattr('resource_type', 'equalto', 'model')
            | sort(attribute='name') -%}
        {%- if node.fqn[1] == 'analytics' and node.config.materialized in ('table', 'incremental') -%}
            {%- do tables.append((api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias), node.alias)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(tables) }}
{% endmacro %}


{% macro run_publish_statements(statements, tables, dry_run) %}
    {%- if dry_run -%}
        {%- for statement in statements -%}
            {{ log(statement ~ ';', info=True) }}
        {%- endfor -%}
        {{ return(none) }}
    {%- endif -%}
    {%- call statement('publish_analytics', fetch_result=false, auto_begin=false) -%}
        {{ statements | join(';\n') }}
    {%- endcall -%}
    {%- for table in tables -%}
        {{ log('published ' ~ var('analytics_published_schema') ~ '.' ~ table, info=True) }}
    {%- endfor -%}
{% endmacro %}


{% macro duckdb__publish_analytics(dry_run) %}
    {%- set published = var('analytics_published_schema') -%}
    {%- set statements = ['begin transaction', 'create schema if not exists ' ~ published] -%}
    {%- set tables = [] -%}
    {%- for candidate, table in analytics_candidate_tables() -%}
        {%- do statements.append(
            'create or replace table ' ~ published ~ '.' ~ table ~ ' as select * from ' ~ candidate
        ) -%}
        {%- do tables.append(table) -%}
    {%- endfor -%}
    {%- do statements.append(tested_rows_watermark_statement()) -%}
    {%- do statements.append('commit') -%}
    {#- dbt holds its own transaction on the connection: close it, so this one is ours alone. -#}
    {%- if not dry_run -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
    {%- do run_publish_statements(statements, tables, dry_run) -%}
{% endmacro %}


{% macro snowflake__publish_analytics(dry_run) %}
    {%- set published = var('analytics_published_schema') -%}
    {%- set statements = ['create schema if not exists ' ~ target.database ~ '.' ~ published] -%}
    {%- set tables = [] -%}
    {%- for candidate, table in analytics_candidate_tables() -%}
        {%- set published_table = target.database ~ '.' ~ published ~ '.' ~ table -%}
        {%- do statements.append('create or replace table ' ~ published_table ~ ' clone ' ~ candidate) -%}
        {#- A clone has none of the replaced table's grants: the readers are granted again. -#}
        {%- for role in var('analytics_reader_roles') -%}
            {%- do statements.append('grant select on table ' ~ published_table ~ ' to role ' ~ role) -%}
        {%- endfor -%}
        {%- do tables.append(table) -%}
    {%- endfor -%}
    {%- do statements.append(tested_rows_watermark_statement()) -%}
    {%- do run_publish_statements(statements, tables, dry_run) -%}
{% endmacro %}
