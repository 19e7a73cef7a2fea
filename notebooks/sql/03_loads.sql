-- Each run of the load: when it ran, how many files it took, their rows and rejects.
select
    loaded_at,
    count(*) as files,
    sum(rows_loaded) as rows_loaded,
    sum(rows_rejected) as rows_rejected
from raw.load_history
group by loaded_at
order by loaded_at
