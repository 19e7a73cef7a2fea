{#-
    Which rows a data test reads: the rows loaded since the last published build (an
    hourly run), or every row (the daily run, and a full refresh).

    An hourly build stages an hour of events. If every test read whole tables, the hour
    would cost more each day as history grows; so by default a test reads only the rows
    loaded since the last published build:

    - in raw_events and stg_events, the rows loaded after the watermark: the latest
      loaded_at stg_events held when the audit last passed and publish_analytics ran
      (so the rows of a build whose audit failed are tested again by the next one);
    - in the incremental models that keep each row's last_loaded_at (the latest load
      of its events), the rows whose last_loaded_at is after the watermark: the rows
      the new events changed, found without a join (at 10M events, a test of
      int_session_events read them in 0.005 s, against 0.2 s through its key);
    - in every other model, the rows of the orders, sessions or customers those new
      events belong to: the model's key in the var `tested_rows_keys` (dbt_project.yml).
      A relationships test reads the new child rows against the whole parent table.

    `dbt build --vars '{test_whole_tables: true}'` (make transform FULL_TESTS=1, the daily
    run, and every full refresh) tests every row. The trade: a bad row that appears in
    old history (an edited old row) is found by the daily run, not by the hourly one.
-#}

{#- dbt wraps the model of every generic test (unique, not_null, ...) in this macro; ours
    adds the tested slice to the test's own `where` config. -#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [config.get('where', ''), tested_rows_condition(relation)] | select | list -%}
    {%- if conditions -%}
        (select * from {{ relation }} where ({{ conditions | join(') and (') }})) dbt_subquery
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#- For singular tests (tests/*.sql): `from {{ tested_rows(ref('fct_orders')) }} as orders`. -#}
{% macro tested_rows(relation) -%}
    {%- set condition = tested_rows_condition(relation) -%}
    {%- if condition -%}
        (select * from {{ relation }} where {{ condition }})
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#- The filter of the tested slice on `relation`, or '' for every row. Rendered when the test
    runs (`execute`): stg_events is found in dbt's graph, not through ref(), so that a test
    on the raw source does not wait for stg_events (it runs first and reads the rows loaded
    since the last publish). Before the first publish there is no watermark: every row is new. -#}
{% macro tested_rows_condition(relation) -%}
    {%- set key = var('tested_rows_keys', {}).get(relation.identifier | lower) -%}
    {%- if execute and key and not var('test_whole_tables', false) -%}
        {%- set staged = graph.nodes['model.' ~ project_name ~ '.stg_events'] -%}
        {%- set watermark = adapter.get_relation(staged.database, staged.schema, tested_rows_watermark_name()) -%}
        {%- if watermark is not none -%}
            {%- set loaded_after -%}
                (select loaded_after from {{ watermark }})
            {%- endset -%}
            {%- if key in ('loaded_at', 'last_loaded_at') -%}
                {{ key }} > {{ loaded_after }}
            {%- else -%}
                {{ key }} in (
                    select {{ key }} from {{ api.Relation.create(database=staged.database, schema=staged.schema, identifier=staged.alias) }}
                    where loaded_at > {{ loaded_after }}
                )
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The table beside stg_events that holds the watermark: one row, the latest loaded_at
    stg_events held when the audit last passed and its tables were published. -#}
{% macro tested_rows_watermark_name() -%}
    {{ return('stg_events_tested_rows_watermark') }}
{%- endmacro %}

{#- Run by publish_analytics, with the publishing: what was published has passed its
    tests, so the next hourly run tests the rows loaded after it. A build whose audit
    failed publishes nothing and moves nothing: the next run tests its rows again. -#}
{% macro tested_rows_watermark_statement() -%}
    {%- set staged = graph.nodes['model.' ~ project_name ~ '.stg_events'] -%}
    {%- set stg_events = api.Relation.create(database=staged.database, schema=staged.schema, identifier=staged.alias) -%}
    {{ return(
        'create or replace table ' ~ stg_events.incorporate(path={'identifier': tested_rows_watermark_name()})
        ~ ' as select coalesce(max(loaded_at), cast(\'1900-01-01\' as timestamp)) as loaded_after from '
        ~ stg_events
    ) }}
{%- endmacro %}
