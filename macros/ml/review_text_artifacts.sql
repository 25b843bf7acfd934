{#- The rows of ml.review_text_fit (sentiment and topics of the review text, a dbt Python model)
    as a select statement. On an adapter that runs no dbt Python models (var
    python_model_adapters) that model is disabled: this stands in for it with one row saying so,
    and the review text features are null. -#}
{% macro review_text_artifacts() -%}
    {%- if target.type in var('python_model_adapters') -%}
        select * from {{ ref('review_text_fit') }}
    {%- else -%}
        select
            cast('parameter' as {{ dbt.type_string() }}) as record_type,
            cast(null as {{ dbt.type_string() }}) as review_id,
            cast(null as {{ dbt.type_bigint() }}) as topic_id,
            cast(null as {{ dbt.type_bigint() }}) as position,
            cast(null as {{ dbt.type_bigint() }}) as k,
            cast('topics_status' as {{ dbt.type_string() }}) as metric,
            cast(null as {{ type_double() }}) as value,
            cast('not fitted: the {{ target.type }} adapter runs no dbt Python models' as {{ dbt.type_string() }})
                as text_value,
            cast(null as {{ dbt.type_boolean() }}) as has_text,
            cast(null as {{ dbt.type_boolean() }}) as is_language_supported,
            cast(null as {{ type_double() }}) as sentiment_score,
            cast(null as {{ dbt.type_boolean() }}) as is_negative
    {%- endif -%}
{%- endmacro %}
