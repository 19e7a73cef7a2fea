-- Every lake line loaded as an event. A warning, not an error: the load quarantines a
-- malformed line by design (the rest of its file still loads), so the build goes on and
-- the warning names the count; stg_rejected_lines shows each line, its file and why.
{{ config(severity='warn') }}

select
    rejected_line_id,
    error
from {{ ref('stg_rejected_lines') }}
