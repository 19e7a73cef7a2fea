/*
    Assignment A4, incremental (assignments/a4_incremental_counts/README.md).

    One row per clock hour and event type: how many events happened then, and when
    the last of them was loaded. An incremental run must give the same counts as a
    full refresh, events delivered late included.
*/

-- BEGIN SOLUTION
-- SOLUTION-CANARY-A4-e5b19c38
{{
    config(
        materialized='incremental',
        unique_key=['event_hour', 'event_type'],
        incremental_strategy='delete+insert',
    )
}}

with

events as (

    select
        event_id,
        event_type,
        loaded_at,
        {{ dbt.date_trunc('hour', 'event_timestamp') }} as event_hour
    from {{ ref('stg_events') }}

),

{% if is_incremental() %}
-- The hours that received events since the last run, late events included: each is
-- counted again from all of its events, and replaces its rows (delete+insert).
touched_hours as (

    select distinct event_hour
    from events
    where loaded_at > (select max(last_loaded_at) from {{ this }})

),
{% endif %}

final as (

    select
        event_type,
        event_hour,
        count(event_id) as events,
        max(loaded_at) as last_loaded_at
    from events
    {% if is_incremental() %}
        where event_hour in (select touched_hours.event_hour from touched_hours)
    {% endif %}
    group by event_type, event_hour

)

select * from final
-- END SOLUTION
-- BEGIN STARTER
-- -- Starter: a table, rebuilt from every event on each run. Make it incremental.
-- with
--
-- events as (
--
--     select
--         event_id,
--         event_type,
--         loaded_at,
--         {{ dbt.date_trunc('hour', 'event_timestamp') }} as event_hour
--     from {{ ref('stg_events') }}
--
-- ),
--
-- final as (
--
--     select
--         event_type,
--         event_hour,
--         count(event_id) as events,
--         max(loaded_at) as last_loaded_at
--     from events
--     group by event_type, event_hour
--
-- )
--
-- select * from final
-- END STARTER
