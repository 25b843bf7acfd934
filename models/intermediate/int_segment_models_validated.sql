{#- Per model of the registry: how its segments (the chosen k) did on the time hold-out against
    the RFM grid and recency quartiles, and the verdict. The segments beat the grid when both
    their churn eta² and spend eta² are at least (1 + segmentation.validation_min_improvement)
    times the grid's; beats_rfm_grid is null when the hold-out could not be measured, and the
    verdict then says why (the model's validation_status), or, for segmentation.algorithm
    rfm_grid, that the segments are the grid. Read by marts.segment_models,
    marts.segment_validation and the line every build ends with. Grain: one row per model. -#}
{%- set min_improvement = setting('segmentation', 'validation_min_improvement') %}
with

history as (

    select * from {{ ref('segment_model_history') }}

),

windows as (

    select
        model_id,
        max(case when metric = 'validation_status' then text_value end) as validation_status,
        cast(max(case when metric = 'validation_cutoff_date' then text_value end) as date) as validation_cutoff_date,
        cast(max(case when metric = 'validation_outcome_end_date' then text_value end) as date) as outcome_end_date,
        cast(max(case when metric = 'validation_customers' then value end) as {{ dbt.type_int() }}) as validation_customers,
        cast(max(case when metric = 'k' and record_type = 'metric' then value end) as {{ dbt.type_int() }}) as chosen_k,
        max(case when metric = 'algorithm' then replace(text_value, '"', '') end) as algorithm
    from history
    where record_type in ('parameter', 'metric')
    group by model_id

),

{# The k whose figures stand for the model's segments: the chosen k, or the only k judged (the
    rfm_grid labels counted on the hold-out, where one label may be empty at as_of_date). #}
segments_k as (

    select
        history.model_id,
        coalesce(
            max(case when history.k = windows.chosen_k then history.k end),
            case when count(distinct history.k) = 1 then max(history.k) end
        ) as segments_k
    from history
    inner join windows
        on history.model_id = windows.model_id
    where history.record_type = 'validation' and history.text_value = 'segments'
    group by history.model_id

),

figures as (

    select
        history.model_id,
        max(case when history.text_value = 'segments' and history.metric = 'churn_eta_squared' and history.k = segments_k.segments_k then history.value end) as segments_churn_eta_squared,
        max(case when history.text_value = 'segments' and history.metric = 'spend_eta_squared' and history.k = segments_k.segments_k then history.value end) as segments_spend_eta_squared,
        max(case when history.text_value = 'rfm_grid' and history.metric = 'churn_eta_squared' then history.value end) as rfm_grid_churn_eta_squared,
        max(case when history.text_value = 'rfm_grid' and history.metric = 'spend_eta_squared' then history.value end) as rfm_grid_spend_eta_squared,
        max(case when history.text_value = 'recency_quartiles' and history.metric = 'churn_eta_squared' then history.value end) as recency_quartiles_churn_eta_squared,
        max(case when history.text_value = 'recency_quartiles' and history.metric = 'spend_eta_squared' then history.value end) as recency_quartiles_spend_eta_squared
    from history
    left join segments_k
        on history.model_id = segments_k.model_id
    where history.record_type = 'validation'
    group by history.model_id

),

compared as (

    select
        windows.model_id,
        windows.validation_status,
        windows.validation_cutoff_date,
        windows.outcome_end_date,
        {{ dbt.datediff('windows.validation_cutoff_date', 'windows.outcome_end_date', 'day') }} as horizon_days,
        windows.validation_customers,
        windows.algorithm,
        windows.chosen_k,
        segments_k.segments_k,
        figures.segments_churn_eta_squared,
        figures.segments_spend_eta_squared,
        figures.rfm_grid_churn_eta_squared,
        figures.rfm_grid_spend_eta_squared,
        figures.recency_quartiles_churn_eta_squared,
        figures.recency_quartiles_spend_eta_squared,
        case when figures.rfm_grid_churn_eta_squared > 0
                then figures.segments_churn_eta_squared / figures.rfm_grid_churn_eta_squared - 1
        end as churn_improvement_over_rfm_grid,
        case when figures.rfm_grid_spend_eta_squared > 0
                then figures.segments_spend_eta_squared / figures.rfm_grid_spend_eta_squared - 1
        end as spend_improvement_over_rfm_grid
    from windows
    left join figures
        on windows.model_id = figures.model_id
    left join segments_k
        on windows.model_id = segments_k.model_id

),

judged as (

    select
        compared.*,
        case
            when algorithm = 'rfm_grid' then null
            when churn_improvement_over_rfm_grid is null or spend_improvement_over_rfm_grid is null then null
            else
                churn_improvement_over_rfm_grid >= {{ min_improvement }}
                and spend_improvement_over_rfm_grid >= {{ min_improvement }}
        end as beats_rfm_grid
    from compared

),

final as (

    select
        judged.*,
        case
            when algorithm = 'rfm_grid'
                then
                    'the segments are the RFM grid (segmentation.algorithm rfm_grid): churn eta² '
                    || coalesce({{ format_fixed('rfm_grid_churn_eta_squared', 3) }}, 'not measured')
                    || ', spend eta² ' || coalesce({{ format_fixed('rfm_grid_spend_eta_squared', 3) }}, 'not measured')
                    || ' on the hold-out (' || coalesce(validation_status, 'no hold-out figures') || ')'
            when beats_rfm_grid is null
                then 'not compared with the RFM grid: ' || coalesce(validation_status, 'no hold-out figures')
            else
                case when beats_rfm_grid then 'the segments beat' else 'the segments do NOT beat' end
                || ' the RFM grid by ' || {{ format_fixed('cast(100 * ' ~ min_improvement ~ ' as ' ~ type_double() ~ ')', 0) }} || '% on both outcomes:'
                || ' churn eta² ' || {{ format_fixed('segments_churn_eta_squared', 3) }}
                || ' vs ' || {{ format_fixed('rfm_grid_churn_eta_squared', 3) }}
                || ' (' || case when churn_improvement_over_rfm_grid >= 0 then '+' else '' end
                || {{ format_fixed('100 * churn_improvement_over_rfm_grid', 0) }} || '%)'
                || ', spend eta² ' || {{ format_fixed('segments_spend_eta_squared', 3) }}
                || ' vs ' || {{ format_fixed('rfm_grid_spend_eta_squared', 3) }}
                || ' (' || case when spend_improvement_over_rfm_grid >= 0 then '+' else '' end
                || {{ format_fixed('100 * spend_improvement_over_rfm_grid', 0) }} || '%)'
        end as verdict
    from judged

)

select * from final
