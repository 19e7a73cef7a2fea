-- Staged events per hour of event time.
select
    date_trunc('hour', event_timestamp) as event_hour,
    count(*) as events
from staging.stg_events
group by event_hour
order by event_hour
