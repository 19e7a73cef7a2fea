-- Every loaded event converted and had a plausible time. A warning, not an error:
-- stg_events sets such an event aside by design (the valid events flow on), so the
-- build goes on and the warning names the count; stg_quarantined_events shows each
-- event's raw line, its file and line, and why.
{{ config(severity='warn') }}

select
    quarantined_line_id,
    reason
from {{ ref('stg_quarantined_events') }}
