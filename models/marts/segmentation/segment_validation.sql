{#- Do the segments predict? For every model, on its time hold-out (features at the model's
    as_of_date - prediction.horizon_days, outcomes in the horizon after it): how much of the
    variance of next-period churn and net spend each grouping explains (eta²), and the lifts of
    its best and worst group, for the segments (every candidate k), the 11-label RFM grid and
    recency quartiles, side by side (customer_segmentation.segmentation.validation). -#}
with

history as (

    select * from {{ ref('segment_model_history') }}
    where record_type = 'validation'

),

registry as (

    select
        model_id,
        algorithm,
        training_as_of_date,
        is_current
    from {{ ref('segment_models') }}

),

validated as (

    select * from {{ ref('int_segment_models_validated') }}

),

rows_by_method as (

    {#- "method" is the mart's column name (a keyword to sqlfluff's DuckDB dialect). #}
    select
        model_id,
        text_value as method,  -- noqa: RF04
        k,
        metric,
        value
    from history

),

grid as (

    select
        model_id,
        metric,
        value as rfm_grid_value
    from rows_by_method
    where method = 'rfm_grid'

),

final as (

    select
        rows_by_method.model_id,
        registry.algorithm,
        registry.is_current as is_current_model,
        registry.training_as_of_date,
        rows_by_method.method,
        case rows_by_method.method when 'segments' then 1 when 'rfm_grid' then 2 else 3 end as method_order,
        rows_by_method.k,
        rows_by_method.method != 'segments' or coalesce(rows_by_method.k = validated.segments_k, false) as is_chosen,
        rows_by_method.metric,
        rows_by_method.value,
        grid.rfm_grid_value,
        case
            when rows_by_method.metric in ('churn_eta_squared', 'spend_eta_squared') and grid.rfm_grid_value > 0
                then rows_by_method.value / grid.rfm_grid_value
        end as ratio_to_rfm_grid,
        validated.horizon_days,
        validated.validation_cutoff_date,
        validated.outcome_end_date,
        validated.validation_customers as customers,
        validated.beats_rfm_grid,
        validated.verdict
    from rows_by_method
    inner join registry
        on rows_by_method.model_id = registry.model_id
    left join validated
        on rows_by_method.model_id = validated.model_id
    left join grid
        on
            rows_by_method.model_id = grid.model_id
            and rows_by_method.metric = grid.metric

)

select * from final
