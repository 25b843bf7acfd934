{#- kmeans_sql, step 1: the scaling of every requested numeric feature, fitted on the training
    sample in SQL as customer_segmentation.segmentation.preprocessing.fit_scaling does it in Python:

        fill_value = median of the non-null values
        t          = ln(1 + max(coalesce(x, fill_value), 0)) for log1p features, else coalesce(x, fill_value)
        center     = median(t)
        scale      = max((q75(t) - q25(t)) / 1.349, stddev_pop(t))

    A feature with no value is screened out (no data), one with scale <= 1e-12 too (no spread).
    Quantiles interpolate linearly between the two nearest values, as numpy's; they are exact on
    DuckDB and Spark (macro percentile_continuous). Grain: one row per requested numeric feature
    that is a column of the feature table. -#}
{{ config(enabled=setting('segmentation', 'algorithm') == 'kmeans_sql') }}
{%- set settings = kmeans_sql_settings() -%}
{%- set features = settings.features -%}

with

training as (

    select * from {{ ref('int_customer_features_training_sample') }}

),

raw_values as (

    select
        customer_id,
        {%- for feature in features %}
            cast({{ adapter.quote(feature.name) }} as {{ type_double() }}) as raw_{{ feature.index }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from training

),

fill_values as (

    select
        {%- for feature in features %}
            count(raw_{{ feature.index }}) as values_{{ feature.index }},
            {{ percentile_continuous('raw_' ~ feature.index, 0.5) }} as fill_{{ feature.index }},
        {%- endfor %}
        count(*) as training_customers
    from raw_values

),

transformed as (

    select
        raw_values.customer_id,
        {%- for feature in features %}
            {{ kmeans_sql_transformed_value('raw_values.raw_' ~ feature.index, 'fill_values.fill_' ~ feature.index, feature.transform) }}
                as t_{{ feature.index }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from raw_values
    cross join fill_values

),

spreads as (

    select
        {%- for feature in features %}
            {{ percentile_continuous('t_' ~ feature.index, 0.5) }} as center_{{ feature.index }},
            {{ percentile_continuous('t_' ~ feature.index, 0.75) }} as q75_{{ feature.index }},
            {{ percentile_continuous('t_' ~ feature.index, 0.25) }} as q25_{{ feature.index }},
            stddev_pop(t_{{ feature.index }}) as stddev_{{ feature.index }},
        {%- endfor %}
        count(*) as transformed_customers
    from transformed

),

feature_list as (
    {%- for feature in features %}

        select
            {{ feature.index }} as feature_index,
            '{{ feature.name }}' as feature,
            '{{ feature.transform }}' as transform_name
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

long_parameters as (

    select
        feature_list.feature_index,
        feature_list.feature,
        feature_list.transform_name,
        fill_values.training_customers,
        case feature_list.feature_index
            {%- for feature in features %}
                when {{ feature.index }} then fill_values.values_{{ feature.index }}
            {%- endfor %}
        end as customers_with_value,
        case feature_list.feature_index
            {%- for feature in features %}
                when {{ feature.index }} then fill_values.fill_{{ feature.index }}
            {%- endfor %}
        end as fill_value,
        case feature_list.feature_index
            {%- for feature in features %}
                when {{ feature.index }} then spreads.center_{{ feature.index }}
            {%- endfor %}
        end as center,
        case feature_list.feature_index
            {%- for feature in features %}
                when {{ feature.index }} then spreads.q75_{{ feature.index }} - spreads.q25_{{ feature.index }}
            {%- endfor %}
        end as interquartile_range,
        case feature_list.feature_index
            {%- for feature in features %}
                when {{ feature.index }} then spreads.stddev_{{ feature.index }}
            {%- endfor %}
        end as standard_deviation
    from feature_list
    cross join fill_values
    cross join spreads

),

final as (

    select
        feature_index,
        feature,
        transform_name,
        cast(fill_value as {{ type_double() }}) as fill_value,
        cast(center as {{ type_double() }}) as center,
        cast(
            greatest(interquartile_range / {{ settings.iqr_per_standard_deviation }}, standard_deviation)
            as {{ type_double() }}
        ) as scale,
        cast({{ settings.clip_limit }} as {{ type_double() }}) as clip_limit,
        case
            when customers_with_value = 0 then 'no data: the input it comes from is absent or empty'
            when
                not greatest(interquartile_range / {{ settings.iqr_per_standard_deviation }}, standard_deviation) > 1e-12
                then 'no spread: the same value for every customer'
        end as screen_reason,
        customers_with_value,
        training_customers
    from long_parameters

)

select * from final
