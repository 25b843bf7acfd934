{#- One row per run date: does the model that scored this run still describe its customers?
    status is `retrain` when the model is older than monitoring.max_model_age_days, a feature's
    PSI exceeds monitoring.psi_retrain, or a segment's share moved more than
    monitoring.share_shift_retrain (absolute) since training; `warn` at the *_warn thresholds;
    else `ok`. The same rule judged the stored model before the run chose to keep or refit it
    (customer_segmentation.segmentation.model_choice): model_decision and decision_reason say what was done,
    so a `retrain` verdict on a stored model shows as a refit in the same run. -#}
{{ config(
    materialized='incremental',
    full_refresh=start_over_full_refresh(),
    on_schema_change='append_new_columns',
    **incremental_replace_config('as_of_date')) }}

with

drift as (

    select * from {{ ref('int_feature_drift') }}

),

model_metrics as (

    select * from {{ ref('segment_model_metrics') }}

),

segments as (

    select * from {{ ref('segment_model_segments') }}

),

customer_segments as (

    select * from {{ ref('customer_segments') }}

),

run_date as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

decisions as (

    select * from {{ ref('segment_model_decisions') }}

),

strongest_drift as (

    select
        max(psi) as max_feature_psi,
        {{ dbt.listagg("feature || '=' || cast(round(psi, 3) as " ~ dbt.type_string() ~ ")", "', '", "order by psi desc") }}
            as feature_psi
    from drift

),

most_drifted_feature as (

    select feature as max_psi_feature
    from (
        select
            feature,
            row_number() over (order by psi desc, feature asc) as psi_rank
        from drift
    ) as ranked_drift
    where psi_rank = 1

),

current_shares as (

    select
        segment_id,
        cast(count(*) as {{ type_double() }}) / sum(count(*)) over () as current_share,
        avg(distance_to_centroid) as mean_distance
    from customer_segments
    group by segment_id

),

training_shares as (

    select
        segment_id,
        cast(training_customers as {{ type_double() }}) / sum(training_customers) over () as training_share
    from segments

),

share_shift as (

    select
        max(abs(coalesce(current_shares.current_share, 0) - coalesce(training_shares.training_share, 0)))
            as max_segment_share_shift
    from training_shares
    full outer join current_shares
        on training_shares.segment_id = current_shares.segment_id

),

distances as (

    select
        avg(customer_segments.distance_to_centroid) as mean_distance_to_centroid,
        avg(case when customer_segments.distance_to_centroid > segments.radius then 1.0 else 0.0 end)
            as share_far_from_centroids
    from customer_segments
    inner join segments
        on customer_segments.segment_id = segments.segment_id

),

measured as (

    select
        run_date.as_of_date,
        model_metrics.model_id,
        model_metrics.as_of_date as model_training_as_of_date,
        {{ dbt.datediff('model_metrics.as_of_date', 'run_date.as_of_date', 'day') }} as model_age_days,
        strongest_drift.max_feature_psi,
        most_drifted_feature.max_psi_feature,
        strongest_drift.feature_psi,
        share_shift.max_segment_share_shift,
        distances.mean_distance_to_centroid,
        distances.share_far_from_centroids
    from run_date
    cross join model_metrics
    cross join strongest_drift
    cross join share_shift
    cross join distances
    left join most_drifted_feature
        on true

),

judged as (

    select
        measured.*,
        case
            when model_age_days > {{ setting('monitoring', 'max_model_age_days') }}
                or max_feature_psi > {{ setting('monitoring', 'psi_retrain') }}
                or max_segment_share_shift > {{ setting('monitoring', 'share_shift_retrain') }}
                then 'retrain'
            when max_feature_psi > {{ setting('monitoring', 'psi_warn') }}
                or max_segment_share_shift > {{ setting('monitoring', 'share_shift_warn') }}
                then 'warn'
            else 'ok'
        end as status,
        case
            when model_age_days > {{ setting('monitoring', 'max_model_age_days') }}
                then 'the model is ' || cast(model_age_days as {{ dbt.type_string() }})
                    || ' days old (limit {{ setting("monitoring", "max_model_age_days") }})'
            when max_feature_psi > {{ setting('monitoring', 'psi_retrain') }}
                then 'feature ' || max_psi_feature || ' drifted: PSI ' || cast(round(max_feature_psi, 3) as {{ dbt.type_string() }})
                    || ' > {{ setting("monitoring", "psi_retrain") }}'
            when max_segment_share_shift > {{ setting('monitoring', 'share_shift_retrain') }}
                then 'a segment''s share moved by ' || cast(round(100 * max_segment_share_shift, 1) as {{ dbt.type_string() }})
                    || ' points since training (limit {{ 100 * setting("monitoring", "share_shift_retrain") }})'
            when max_feature_psi > {{ setting('monitoring', 'psi_warn') }}
                then 'feature ' || max_psi_feature || ' is drifting: PSI ' || cast(round(max_feature_psi, 3) as {{ dbt.type_string() }})
                    || ' > {{ setting("monitoring", "psi_warn") }}'
            when max_segment_share_shift > {{ setting('monitoring', 'share_shift_warn') }}
                then 'a segment''s share moved by ' || cast(round(100 * max_segment_share_shift, 1) as {{ dbt.type_string() }})
                    || ' points since training'
            else 'no drift beyond the warning thresholds'
        end as reason
    from measured

),

final as (

    select
        judged.*,
        decisions.decision as model_decision,
        decisions.decision_reason,
        decisions.candidate_model_id as judged_model_id,
        decisions.policy_status as judged_model_status
    from judged
    left join decisions
        on judged.as_of_date = decisions.as_of_date

)

select * from final
