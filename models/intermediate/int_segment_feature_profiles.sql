{#- How each segment differs from all customers on each numeric feature, and on each level of the
    shop's categorical customer attributes (var customer_attributes; a level is the feature
    `<attribute>=<level>`, valued 1 for a customer with that level and 0 otherwise, so its mean
    is the share of customers with it). Grain: one row per segment and feature. z_score =
    (segment mean - overall mean) / overall standard deviation, in the feature's own units.
    is_defined_for_segment: at least segmentation.profile_min_value_share of the segment has a value (days
    between orders is undefined for one-time buyers): a mean over the few who have one does not
    describe the segment, so the marts never rank such a feature among the segment's
    distinguishing ones. -#}
{%- set profile_features = customer_numeric_features() -%}
{%- set attributes = customer_attributes() -%}
{%- set sensitive_columns = [] -%}
{%- set attribute_columns = [] -%}
{%- for attribute in attributes -%}
    {%- do attribute_columns.append(attribute.column) -%}
    {%- if attribute.sensitive -%}
        {%- do sensitive_columns.append(attribute.column) -%}
    {%- endif -%}
{%- endfor -%}

with

segmented as (

    select * from {{ ref('int_customers_segmented') }}

),

features as (

    select * from {{ ref('int_customer_features') }}

),

{%- for attribute in attributes if attribute.is_categorical %}

{{ attribute.column }}__levels as (

    select distinct {{ adapter.quote(attribute.column) }} as level
    from features

),
{%- endfor %}

long_features as (
    {%- for feature in profile_features %}

        select
            segmented.segment_id,
            '{{ feature }}' as feature,
            '{{ feature }}' as source_column,
            cast(features.{{ adapter.quote(feature) }} as {{ type_double() }}) as feature_value
        from segmented
        inner join features
            on segmented.customer_id = features.customer_id
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {%- for attribute in attributes if attribute.is_categorical %}

        union all

        select
            segmented.segment_id,
            '{{ attribute.column }}=' || {{ attribute.column }}__levels.level as feature,
            '{{ attribute.column }}' as source_column,
            case
                when features.{{ adapter.quote(attribute.column) }} = {{ attribute.column }}__levels.level then 1.0 else 0.0
            end as feature_value
        from segmented
        inner join features
            on segmented.customer_id = features.customer_id
        cross join {{ attribute.column }}__levels
    {%- endfor %}

),

overall as (

    select
        feature,
        count(feature_value) as customers_with_value,
        avg(feature_value) as overall_mean,
        stddev_pop(feature_value) as overall_stddev
    from long_features
    group by feature

),

per_segment as (

    select
        segment_id,
        feature,
        source_column,
        count(*) as segment_customers,
        count(feature_value) as customers_with_value,
        avg(feature_value) as segment_mean,
        {{ percentile_median('feature_value') }} as segment_median
    from long_features
    group by segment_id, feature, source_column

),

final as (

    select
        per_segment.segment_id,
        per_segment.feature,
        per_segment.customers_with_value,
        cast(per_segment.customers_with_value as {{ type_double() }}) / per_segment.segment_customers
        >= {{ setting('segmentation', 'profile_min_value_share') }} as is_defined_for_segment,
        per_segment.segment_mean,
        per_segment.segment_median,
        overall.overall_mean,
        overall.overall_stddev,
        case
            when overall.overall_stddev > 0
                then (per_segment.segment_mean - overall.overall_mean) / overall.overall_stddev
        end as z_score,
        per_segment.source_column,
        {% if attribute_columns -%}
        per_segment.source_column in ({% for column in attribute_columns %}'{{ column }}'{% if not loop.last %}, {% endif %}{% endfor %})
        {%- else %}false{% endif %} as is_customer_attribute,
        {% if sensitive_columns -%}
        per_segment.source_column in ({% for column in sensitive_columns %}'{{ column }}'{% if not loop.last %}, {% endif %}{% endfor %})
        {%- else %}false{% endif %} as is_sensitive
    from per_segment
    inner join overall
        on per_segment.feature = overall.feature
    -- The topic share columns beyond the topics the review text model found hold no value.
    where
        overall.customers_with_value > 0
        or per_segment.feature not in (
            {%- for column in review_topic_share_columns() %}'{{ column }}'{% if not loop.last %}, {% endif %}{% endfor -%}
        )

)

select * from final
