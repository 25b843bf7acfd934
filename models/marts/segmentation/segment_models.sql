{#- The model registry: every model fitted in this warehouse, with its settings, features,
    metrics, training window, how its segments did against the RFM grid on the time hold-out,
    the input it was fitted on and why it was fitted; the one scoring customers now is flagged. -#}
with

history as (

    select * from {{ ref('segment_model_history') }}

),

current_model as (

    select distinct model_id from {{ ref('segment_model_artifacts') }}

),

metrics as (

    {{ pivot_model_metrics('history') }}

),

validated as (

    select * from {{ ref('int_segment_models_validated') }}

),

recorded as (

    select
        model_id,
        min(recorded_at) as trained_at
    from history
    group by model_id

),

parameters as (

    select
        model_id,
        {{ dbt.listagg("metric || '=' || text_value", "'; '", "order by metric") }} as parameters  -- noqa: RF04
    from history
    where
        record_type = 'parameter'
        and metric not in (
            'numeric_features', 'log1p_features', 'categorical_features', 'input_source',
            'weighting_status', 'validation_status', 'validation_cutoff_date', 'validation_outcome_end_date'
        )
    group by model_id

),

-- The decision recorded with the model's first run: why it was fitted.
fitting as (

    select
        model_id,
        max(case when record_type = 'parameter' and metric = 'input_source' then text_value end) as input_source,
        max(case when record_type = 'decision' and metric = 'action' then text_value end) as fit_decision,
        max(case when record_type = 'decision' and metric = 'reason' then text_value end) as fit_reason
    from history
    where record_type in ('parameter', 'decision')
    group by model_id

),

features_used as (

    select
        model_id,
        {{ dbt.listagg("feature", "', '", "order by position") }} as features_used
    from history
    where record_type = 'scaling'
    group by model_id

),

final as (

    select
        metrics.model_id,
        metrics.algorithm,
        metrics.as_of_date as training_as_of_date,
        recorded.trained_at,
        metrics.k,
        metrics.training_customers,
        metrics.fit_sample_customers,
        metrics.silhouette,
        metrics.davies_bouldin,
        metrics.calinski_harabasz,
        metrics.stability,
        metrics.holdout_ari,
        metrics.min_segment_share,
        metrics.inertia,
        metrics.outlier_share,
        metrics.reconstruction_mse,
        metrics.ari_vs_kmeans,
        metrics.fit_seconds,
        metrics.previous_model_id,
        metrics.segments_matched,
        metrics.segments_new,
        metrics.segments_vanished,
        validated.segments_churn_eta_squared as churn_eta_squared,
        validated.segments_spend_eta_squared as spend_eta_squared,
        validated.rfm_grid_churn_eta_squared,
        validated.rfm_grid_spend_eta_squared,
        validated.churn_improvement_over_rfm_grid,
        validated.spend_improvement_over_rfm_grid,
        validated.beats_rfm_grid,
        validated.validation_cutoff_date,
        validated.verdict as validation_verdict,
        features_used.features_used,
        parameters.parameters,
        fitting.input_source,
        fitting.fit_decision,
        fitting.fit_reason,
        current_model.model_id is not null as is_current
    from metrics
    inner join recorded
        on metrics.model_id = recorded.model_id
    left join features_used
        on metrics.model_id = features_used.model_id
    left join parameters
        on metrics.model_id = parameters.model_id
    left join fitting
        on metrics.model_id = fitting.model_id
    left join current_model
        on metrics.model_id = current_model.model_id
    left join validated
        on metrics.model_id = validated.model_id

)

select * from final
