{{ config(severity='warn') }}
-- Warns, in the build log, when this run's monitoring status is not ok: the features or segment
-- shares drifted since the model was trained, or the model is old (marts.segment_monitoring).
select
    monitoring.as_of_date,
    monitoring.status,
    monitoring.reason
from {{ ref('segment_monitoring') }} as monitoring
inner join {{ ref('int_as_of_date') }} as run_date
    on monitoring.as_of_date = run_date.as_of_date
where monitoring.status != 'ok'
