-- Rows in raw (every delivery), distinct events among them, and rows in staging.
select
    (select count(*) from raw.raw_events) as raw_rows,
    (select count(distinct raw_events.event ->> 'event_id') from raw.raw_events) as distinct_events_in_raw,
    (select count(*) from staging.stg_events) as staged_rows
