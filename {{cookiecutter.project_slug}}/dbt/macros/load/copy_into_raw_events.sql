{#-
    Load new lake files into raw.raw_events, with Snowflake's COPY INTO semantics
    on both targets:
      - each line lands as one JSON document with its source_file, file_row_number
        and loaded_at;
      - a file already loaded is skipped, so a re-run loads nothing twice;
      - a line that is not an event does not stop the load: it goes to
        raw.raw_events_rejects with its file, line number, text and the reason
        (malformed JSON, not a JSON object, a required field missing, invalid
        UTF-8, longer than the reader takes), and every good line still loads.
    (A file that cannot be decompressed at all is moved aside before the load, by
    warehouse/load.py on the local target; Snowflake's COPY reports it as
    LOAD_FAILED, recorded in raw.quarantined_files.)

    Run it with:  dbt run-operation copy_into_raw_events
-#}
{% macro copy_into_raw_events() %}
    {{ return(adapter.dispatch('copy_into_raw_events')()) }}
{% endmacro %}


{% macro duckdb__copy_into_raw_events() %}
    {#- The lake folder: LAKE_DIR, relative to the folder dbt runs in, or absolute. -#}
    {%- set lake_dir = env_var('LAKE_DIR', '../data/lake') | replace('\\', '/') | replace("'", "''") -%}
    {%- set lake_glob = lake_dir ~ '/raw-events/*/*/*/*/*.json.gz' -%}

    {% do run_query(raw_tables_ddl_duckdb()) %}

    {#- Snowflake remembers which files it loaded; DuckDB keeps that list in raw.load_history. -#}
    {% set new_files = run_query(
        "select file from glob('" ~ lake_glob ~ "') "
        ~ "where substr(file, length('" ~ lake_dir ~ "/') + 1) not in (select source_file from raw.load_history) "
        ~ "order by file"
    ).columns[0].values() %}

    {% if new_files | length == 0 %}
        {{ log("copy_into_raw_events: no new files in " ~ lake_dir, info=True) }}
        {{ return(none) }}
    {% endif %}

    {#- The files are read in batches of 1,000, each in its own transaction with its lines in
        raw.load_history: the memory a load needs stays flat however large the backlog, and a
        load that stops half-way keeps its whole batches, so a re-run loads only the rest. -#}
    {% do run_query("create or replace temp table previous_load as select max(loaded_at) as loaded_at from raw.load_history") %}
    {%- set load_sql -%}
        -- The line numbers below rely on DuckDB keeping read order in new_lines: on, whatever the profile sets.
        set preserve_insertion_order = true;
        {% for batch in new_files | batch(1000) %}
        begin transaction;
        {%- set file_list -%}
            [{%- for file in batch -%}'{{ file | replace("'", "''") }}'{{ "," if not loop.last }}{%- endfor -%}]
        {%- endset %}

        -- The batch's files, numbered as read_csv numbers them (file_index, from 0).
        create or replace temp table new_files as
        select
            substr(file_path, length('{{ lake_dir }}/') + 1) as source_file,
            file_index
        from (
            select unnest({{ file_list }}) as file_path, generate_subscripts({{ file_list }}, 1) - 1 as file_index
        );

        -- Each line verbatim: the CSV reader with a delimiter and quote that never occur, so
        -- nothing is parsed yet. A table DuckDB fills from a scan keeps the scan's order (files
        -- in list order, lines in file order) while both cores read: its rowid is the line's
        -- read order, so numbering needs neither a sort nor a one-thread row_number() over ().
        -- A line is kept once: as `event` when it loads, as `rejected_line` with its reason
        -- when it does not (blank lines, which carry nothing to load or reject, as in
        -- Snowflake, only keep their number). A line the reader itself cannot take (invalid
        -- UTF-8, longer than max_line_size) is set aside by store_rejects, not read: see
        -- reader_rejects below.
        create or replace temp table new_lines as
        select
            file_index,
            case when rejected_reason is null then event end as event,
            case when rejected_reason is not null then line end as rejected_line,
            rejected_reason
        from (
            select
                file_index,
                line,
                event,
                case
                    when event is not null then {{ raw_event_missing_field('event') }}
                    when trim(line) <> '' then
                        case when json_valid(line) then 'not a JSON object' else 'malformed JSON' end
                end as rejected_reason
            from (
                select
                    file_index,
                    line,
                    -- The one parse of each line: try_cast gives the JSON, or null when it is
                    -- malformed. Valid JSON that opens with a brace is an object; other lines
                    -- are not parsed at all.
                    case
                        when starts_with(line, '{') or starts_with(ltrim(line, ' ' || chr(9) || chr(13)), '{')
                            then try_cast(line as json)
                    end as event
                from read_csv(
                    {{ file_list }},
                    columns = {'line': 'VARCHAR'}, delim = '\x1f', quote = '', escape = '',
                    header = false, auto_detect = false, store_rejects = true
                )
            )
        );

        -- The lines the reader set aside, one row per line (file_id is the file's place in
        -- the list, as file_index). good_lines_before: how many read lines precede it in its
        -- file, so the read lines after it can be numbered past it.
        create or replace temp table reader_rejects as
        select
            file_id as file_index,
            line as file_row_number,
            -- The reader keeps the first 10,000 characters of an over-long line.
            csv_line as rejected_line,
            case error_type
                when 'INVALID ENCODING' then 'invalid UTF-8'
                when 'LINE SIZE OVER MAXIMUM' then 'line longer than the reader takes: ' || error_message
                else lower(error_type) || ': ' || error_message
            end as rejected_reason,
            line - row_number() over (partition by file_id order by line) as good_lines_before
        from reject_errors
        qualify row_number() over (partition by file_id, line order by error_type) = 1;
        delete from reject_errors;

        -- A line's number in its file: its read order after the first line of its file, plus
        -- the lines the reader set aside before it (none, almost always).
        create or replace temp view numbered_lines as
        select
            new_files.source_file,
            new_lines.rowid - file_starts.first_rowid + 1 + coalesce((
                select count(*)
                from reader_rejects
                where
                    reader_rejects.file_index = new_lines.file_index
                    and reader_rejects.good_lines_before < new_lines.rowid - file_starts.first_rowid + 1
            ), 0) as file_row_number,
            new_lines.event,
            new_lines.rejected_line,
            new_lines.rejected_reason
        from new_lines
        inner join (
            select file_index, min(rowid) as first_rowid from new_lines group by file_index
        ) as file_starts on new_lines.file_index = file_starts.file_index
        inner join new_files on new_lines.file_index = new_files.file_index;

        insert into raw.raw_events (event, source_file, file_row_number, loaded_at)
        select event, source_file, file_row_number, current_timestamp
        from numbered_lines
        where event is not null;

        insert into raw.raw_events_rejects (source_file, file_row_number, rejected_record, error, rejected_at)
        select source_file, file_row_number, rejected_line, rejected_reason, current_timestamp
        from numbered_lines
        where rejected_line is not null
        union all
        select new_files.source_file, file_row_number, rejected_line, rejected_reason, current_timestamp
        from reader_rejects
        inner join new_files on reader_rejects.file_index = new_files.file_index;

        insert into raw.load_history (source_file, rows_loaded, rows_rejected, loaded_at)
        select
            new_files.source_file,
            coalesce(lines.loaded, 0),
            coalesce(lines.rejected, 0) + coalesce(set_aside.rejected, 0),
            current_timestamp
        from new_files
        left join (
            select file_index, count(event) as loaded, count(rejected_line) as rejected
            from new_lines group by file_index
        ) as lines on new_files.file_index = lines.file_index
        left join (
            select file_index, count(*) as rejected from reader_rejects group by file_index
        ) as set_aside on new_files.file_index = set_aside.file_index;

        drop view numbered_lines;
        commit;
        {% endfor %}
    {%- endset %}
    {% do run_query(load_sql) %}

    {% set summary = run_query(
        "select coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0) from raw.load_history "
        ~ "where loaded_at > coalesce((select loaded_at from previous_load), '-infinity'::timestamp)"
    ).rows[0] %}
    {{ log("copy_into_raw_events: " ~ new_files | length ~ " files, " ~ summary[0] ~ " rows loaded, "
           ~ summary[1] ~ " rejected", info=True) }}
{% endmacro %}


{% macro raw_tables_ddl_duckdb() %}
    create schema if not exists raw;
    -- ZSTD for the events: half the CPU of DuckDB's default string compression when
    -- loading, a third of the file size, and as fast to read back.
    create table if not exists raw.raw_events (
        event json using compression zstd,
        source_file varchar,
        file_row_number bigint,
        loaded_at timestamp
    );
    create table if not exists raw.raw_events_rejects (
        source_file varchar,
        file_row_number bigint,
        rejected_record varchar,
        error varchar,
        rejected_at timestamp
    );
    create table if not exists raw.load_history (
        source_file varchar primary key,
        rows_loaded bigint,
        rows_rejected bigint,
        loaded_at timestamp
    );
{% endmacro %}


{% macro snowflake__copy_into_raw_events() %}
    {#- The tables, stage and file format come from infra/snowflake/ (the setup scripts).
        Snowflake's load metadata skips files already loaded; ON_ERROR = CONTINUE
        loads every good line and VALIDATE() returns the rejected ones. -#}
    {% set load_started = run_query("select current_timestamp()::timestamp_ntz").columns[0].values()[0] %}
    {% set copied = run_query(snowflake_copy_into_raw_events_sql()) %}
    {% do run_query(snowflake_insert_raw_events_rejects_sql()) %}
    {#- COPY loads any JSON document: the objects without a required field move to the rejects. -#}
    {% do run_query(snowflake_reject_events_missing_fields_sql(load_started)) %}
    {#- A file COPY could not read at all (a broken gzip stream) is LOAD_FAILED: recorded, as on DuckDB. -#}
    {% for row in copied.rows if row['status'] | upper == 'LOAD_FAILED' %}
        {% do run_query(snowflake_record_quarantined_file_sql(row['file'], row['first_error'])) %}
    {% endfor %}
    {{ log("copy_into_raw_events: " ~ copied.rows | length ~ " files processed", info=True) }}
{% endmacro %}


{#- The reason an event object breaks the contract (a required field missing or null), or null.
    The fields are the var raw_event_required_fields (dbt_project.yml), from contracts/event.schema.json. -#}
{% macro raw_event_missing_field(event) %}
    {{- return(adapter.dispatch('raw_event_missing_field')(event)) -}}
{% endmacro %}


{% macro duckdb__raw_event_missing_field(event) -%}
    {%- set fields = var('raw_event_required_fields') -%}
    {#- One parse of the event for every path: json_extract_string with a list of paths. -#}
    {%- set paths = [] -%}
    {%- for field in fields -%}
        {%- do paths.append("'$." ~ field ~ "'") -%}
    {%- endfor -%}
    case
    {%- for field in fields %}
        when json_extract_string({{ event }}, [{{ paths | join(', ') }}])[{{ loop.index }}] is null
            then 'missing required field {{ field }}'
    {%- endfor %}
    end
{%- endmacro %}


{% macro snowflake__raw_event_missing_field(event) -%}
    case
    {%- for field in var('raw_event_required_fields') %}
        when {{ event }}:{{ field }} is null or is_null_value({{ event }}:{{ field }})
            then 'missing required field {{ field }}'
    {%- endfor %}
    end
{%- endmacro %}


{% macro snowflake_reject_events_missing_fields_sql(load_started) %}
    insert into raw.raw_events_rejects (source_file, file_row_number, rejected_record, error, rejected_at)
    select source_file, file_row_number, to_json(event), reason, current_timestamp()::timestamp_ntz
    from (
        select *, {{ raw_event_missing_field('event') }} as reason
        from raw.raw_events
        where loaded_at >= '{{ load_started }}'
    )
    where reason is not null;
    delete from raw.raw_events
    where loaded_at >= '{{ load_started }}' and {{ raw_event_missing_field('event') }} is not null
{% endmacro %}


{% macro snowflake_record_quarantined_file_sql(source_file, reason) %}
    merge into raw.quarantined_files as recorded
    using (
        select '{{ source_file | replace("'", "''") }}' as source_file, '{{ reason | replace("'", "''") }}' as reason
    ) as failed
    on recorded.source_file = failed.source_file
    when not matched then insert (source_file, quarantined_path, reason, readable_lines, quarantined_at)
        values (failed.source_file, null, failed.reason, null, current_timestamp()::timestamp_ntz)
{% endmacro %}


{#- The two statements of the Snowflake load, as SQL: also what `dbt compile --inline`
    shows, and what 06_snowpipe.sql runs on each new file. -#}
{% macro snowflake_copy_into_raw_events_sql() %}
    copy into raw.raw_events (event, source_file, file_row_number, loaded_at)
    from (
        select
            $1 as event,
            metadata$filename as source_file,
            metadata$file_row_number as file_row_number,
            current_timestamp()::timestamp_ntz as loaded_at
        from @raw.raw_events_stage/raw-events/
    )
    file_format = (format_name = 'raw.json_lines_format')
    on_error = continue
{% endmacro %}


{% macro snowflake_insert_raw_events_rejects_sql() %}
    insert into raw.raw_events_rejects (source_file, file_row_number, rejected_record, error, rejected_at)
    select file, line, rejected_record, error, current_timestamp()::timestamp_ntz
    from table(validate(raw.raw_events, job_id => '_last'))
{% endmacro %}
