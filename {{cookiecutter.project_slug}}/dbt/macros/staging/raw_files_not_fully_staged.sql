{#-
    raw_files_not_fully_staged(): the source_file of every raw file with more rows
    than stg_events staged from it (duplicates, quarantined events, anything missing),
    as a subquery. A file whose every row is a staged event has nothing else to find,
    so the models that look for what was not staged parse only these files' rows,
    not the whole raw table.
-#}
{% macro raw_files_not_fully_staged() %}
    select raw_files.source_file
    from (
        select
            source_file,
            count(*) as raw_rows
        from {{ source('raw', 'raw_events') }}
        group by source_file
    ) as raw_files
    left join (
        select
            source_file,
            count(*) as staged_rows
        from {{ ref('stg_events') }}
        group by source_file
    ) as staged_files
        on raw_files.source_file = staged_files.source_file
    where staged_files.staged_rows is null or staged_files.staged_rows < raw_files.raw_rows
{% endmacro %}
