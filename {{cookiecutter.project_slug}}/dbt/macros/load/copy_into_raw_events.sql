{#-
    Load new lake files into raw.raw_events, with Snowflake's COPY INTO semantics
    on both targets:
      - each line lands as one JSON document with its source_file, file_row_number
        and loaded_at;
      - a file already loaded is skipped, so a re-run loads nothing twice;
      - a malformed line does not stop the load: it goes to raw.raw_events_rejects
        with its file, line number and text, and every good line still loads.

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

    {%- set file_list -%}
        [{%- for file in new_files -%}'{{ file | replace("'", "''") }}'{{ "," if not loop.last }}{%- endfor -%}]
    {%- endset %}

    {%- set load_sql -%}
        begin transaction;

        -- Each line verbatim: the CSV reader with a delimiter and quote that never
        -- occur, so nothing is parsed yet. Insertion order keeps line order (rowid).
        create or replace temp table new_lines as
        select
            substr(filename, length('{{ lake_dir }}/') + 1) as source_file,
            line
        from read_csv(
            {{ file_list }},
            columns = {'line': 'VARCHAR'}, delim = '\x1f', quote = '', escape = '',
            header = false, auto_detect = false, filename = true
        );

        create or replace temp table numbered_lines as
        select
            source_file,
            row_number() over (partition by source_file order by rowid) as file_row_number,
            line,
            -- CASE, not AND: json_type() must never see a malformed line.
            case when json_valid(line) then json_type(line) = 'OBJECT' else false end as is_event
        from new_lines
        -- Blank lines carry nothing to load or reject (as in Snowflake).
        where trim(coalesce(line, '')) <> '';

        insert into raw.raw_events (event, source_file, file_row_number, loaded_at)
        select cast(line as json), source_file, file_row_number, current_timestamp
        from numbered_lines
        where is_event;

        insert into raw.raw_events_rejects (source_file, file_row_number, rejected_record, error, rejected_at)
        select
            source_file,
            file_row_number,
            line,
            case when json_valid(line) then 'not a JSON object' else 'malformed JSON' end,
            current_timestamp
        from numbered_lines
        where not is_event;

        insert into raw.load_history (source_file, rows_loaded, rows_rejected, loaded_at)
        select
            file.source_file,
            count(lines.line) filter (where lines.is_event),
            count(lines.line) filter (where not lines.is_event),
            current_timestamp
        from (select unnest({{ file_list }}) as file_path,
                     substr(file_path, length('{{ lake_dir }}/') + 1) as source_file) as file
        left join numbered_lines as lines on lines.source_file = file.source_file
        group by file.source_file;

        commit;
    {%- endset %}
    {% do run_query(load_sql) %}

    {% set summary = run_query(
        "select coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0) from raw.load_history "
        ~ "where loaded_at = (select max(loaded_at) from raw.load_history)"
    ).rows[0] %}
    {{ log("copy_into_raw_events: " ~ new_files | length ~ " files, " ~ summary[0] ~ " rows loaded, "
           ~ summary[1] ~ " rejected", info=True) }}
{% endmacro %}


{% macro raw_tables_ddl_duckdb() %}
    create schema if not exists raw;
    create table if not exists raw.raw_events (
        event json,
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
    {#- The tables, stage and file format come from warehouse/snowflake/ (the setup scripts).
        Snowflake's load metadata skips files already loaded; ON_ERROR = CONTINUE
        loads every good line and VALIDATE() returns the rejected ones. -#}
    {% set copy_sql %}
        copy into raw.raw_events (event, source_file, file_row_number, loaded_at)
        from (
            select
                $1,
                metadata$filename,
                metadata$file_row_number,
                current_timestamp()::timestamp_ntz
            from @raw.raw_events_stage/raw-events/
        )
        file_format = (format_name = 'raw.json_lines_format')
        on_error = continue
    {% endset %}
    {% set copied = run_query(copy_sql) %}

    {% set rejects_sql %}
        insert into raw.raw_events_rejects (source_file, file_row_number, rejected_record, error, rejected_at)
        select file, line, rejected_record, error, current_timestamp()::timestamp_ntz
        from table(validate(raw.raw_events, job_id => '_last'))
    {% endset %}
    {% do run_query(rejects_sql) %}
    {{ log("copy_into_raw_events: " ~ copied.rows | length ~ " files processed", info=True) }}
{% endmacro %}
