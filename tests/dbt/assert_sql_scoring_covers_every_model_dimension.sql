-- The SQL scoring (int_customers_segmented) is generated from the settings, with a slot for each
-- dimension they can give the model (macro segment_scoring_slots). A stored model with a
-- dimension outside those slots would be scored without it: one row per such dimension, and the
-- build stops before the scoring runs.
with

dimension_slots as (

    {{ segment_scoring_slots(ref('segment_model_scaling')) }}

)

select
    model_id,
    feature,
    source_column,
    transform,
    position
from dimension_slots
where slot is null
