-- Rows loaded per lake hour (the YYYY/MM/DD/HH folder) and run of the load.
select
    loaded_at,
    substr(source_file, 12, 13) as lake_hour,
    sum(rows_loaded) as rows_loaded
from raw.load_history
group by lake_hour, loaded_at
order by lake_hour, loaded_at
