{#- The validation rows of a model fitted in SQL (kmeans_sql, rfm_grid), as the Python model
    writes them (customer_segmentation.segmentation.model, record types validation, parameter and
    metric): the RFM grid and recency quartiles judged on the time hold-out of
    `sample_relation` (int_segment_validation_sample), the segments too when they are a column of
    it (`segments_column`), otherwise null figures and `segments_status` says why. The body of a
    CTE; needs a CTE model_identity (model_id) in scope. -#}
{% macro segment_validation_records(sample_relation, segments_column=none, segments_status=none) -%}
    {%- set methods = [('rfm_grid', 'rfm_segment_id'), ('recency_quartiles', 'recency_quartile')] -%}
    {%- if segments_column is not none -%}
        {%- do methods.insert(0, ('segments', segments_column)) -%}
    {%- endif -%}
    {%- for method, column in methods %}
    select
        {{ model_artifact_columns(
            'validation', k='figures.k', metric='figures.metric', value='figures.value',
            text_value="'" ~ method ~ "'") }}
    from ({{ segment_validity_figures(sample_relation, column) }}) as figures
    cross join model_identity

    union all
    {%- endfor %}
    {%- if segments_column is none %}
    {%- for metric in ['churn_eta_squared', 'spend_eta_squared', 'churn_lift_worst_segment', 'churn_lift_best_segment', 'spend_lift_best_segment', 'spend_lift_worst_segment'] %}
    select
        {{ model_artifact_columns('validation', metric="'" ~ metric ~ "'", text_value="'segments'") }}
    from model_identity

    union all
    {%- endfor %}
    {%- endif %}

    select
        {{ model_artifact_columns('parameter', metric='window_facts.fact_name', text_value='window_facts.fact_text') }}
    from (
        select
            'validation_status' as fact_name,
            case
                when count(*) < 50
                    then 'not measured: ' || cast(count(*) as {{ dbt.type_string() }})
                    || ' customers in the hold-out (at least 50 needed)'
                {%- if segments_status is not none %}
                else {{ sql_string_literal(segments_status) }}
                    || ' (the RFM grid and recency quartiles: measured on '
                    || cast(count(*) as {{ dbt.type_string() }}) || ' customers)'
                {%- else %}
                else 'measured on ' || cast(count(*) as {{ dbt.type_string() }}) || ' customers: features at '
                    || cast(min(cutoff_date) as {{ dbt.type_string() }}) || ', outcomes up to '
                    || cast(min(outcome_end_date) as {{ dbt.type_string() }})
                {%- endif %}
            end as fact_text
        from {{ sample_relation }}
        where cutoff_role = 'training'

        union all

        select
            'validation_cutoff_date' as fact_name,
            cast(min(cutoff_date) as {{ dbt.type_string() }}) as fact_text
        from {{ sample_relation }}
        where cutoff_role = 'training'

        union all

        select
            'validation_outcome_end_date' as fact_name,
            cast(min(outcome_end_date) as {{ dbt.type_string() }}) as fact_text
        from {{ sample_relation }}
        where cutoff_role = 'training'
    ) as window_facts
    cross join model_identity

    union all

    select
        {{ model_artifact_columns(
            'metric', metric="'validation_customers'",
            value='case when hold_out.customers >= 50 then hold_out.customers end') }}
    from (
        select count(*) as customers from {{ sample_relation }}
        where cutoff_role = 'training'
    ) as hold_out
    cross join model_identity
{%- endmacro %}
