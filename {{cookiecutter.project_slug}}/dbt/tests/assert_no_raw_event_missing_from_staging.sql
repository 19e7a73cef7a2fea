-- Every loaded event reached stg_events or was set aside with a reason
-- (stg_quarantined_events). An error, not a warning: a loaded event that vanished
-- between raw and staging means the published figures are wrong, so the audit fails.

select
    event_id,
    event_type,
    event_timestamp,
    source_file,
    file_row_number
from {{ ref('audit_events_missing_from_staging') }}
