{#- The rows of ml.customer_scores_fit (the churn and value models, a dbt Python model) for the
    marts customer_scores, prediction_evaluation and prediction_calibration, as a select
    statement. On an adapter that runs no dbt Python models (var python_model_adapters;
    dbt-spark, Postgres) that model is disabled, and this stands in for it with the rows it writes
    when it cannot fit: a status of no_python_models with the reason, and every method and metric
    of the evaluation with a null value. The marts then still build, every customer unscored, and
    say why. -#}
{% macro customer_scores_artifacts() -%}
    {%- if target.type in var('python_model_adapters') -%}
        select * from {{ ref('customer_scores_fit') }}
    {%- else -%}
        {%- set reason = "The churn and value models are a dbt Python model (customer_scores_fit), which the " ~ target.type ~ " adapter does not run." -%}
        {%- set rows = [
            ('status', 'null', 'scoring', "'no_python_models'"),
            ('status', 'null', 'scoring_message', sql_string_literal(reason)),
            ('status', 'null', 'evaluation', "'no_python_models'"),
            ('status', 'null', 'evaluation_message', sql_string_literal(reason)),
        ] -%}
        {%- for method in ['supervised', 'bgnbd', 'recency', 'rfm'] -%}
            {%- for metric in ['auc', 'brier', 'mae', 'spearman'] -%}
                {%- do rows.append(('evaluation', "'" ~ method ~ "'", metric, 'null')) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- for record_type, method, metric, text_value in rows %}
        select
            cast('no_python_models' as {{ dbt.type_string() }}) as model_id,
            cast('{{ record_type }}' as {{ dbt.type_string() }}) as record_type,
            cast(null as {{ dbt.type_string() }}) as customer_id,
            cast({{ method }} as {{ dbt.type_string() }}) as method,
            cast('{{ metric }}' as {{ dbt.type_string() }}) as metric,
            cast(null as {{ type_double() }}) as value,
            cast({{ text_value }} as {{ dbt.type_string() }}) as text_value,
            cast(null as {{ type_double() }}) as churn_probability,
            cast(null as {{ type_double() }}) as expected_value,
            cast(null as {{ type_double() }}) as probability_alive,
            cast(null as {{ type_double() }}) as expected_purchases,
            cast(null as {{ type_double() }}) as decile
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}
