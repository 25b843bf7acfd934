{#- The wide feature table at every feature cutoff: one row per cutoff and customer with at least
    one completed purchase before the cutoff. Behaviour features are 0 for a customer who has none
    of that behaviour, and null for
    everyone when the input they come from is absent or empty (the model then leaves them out).
    The shop's declared customer attributes (var customer_attributes) come last: 'unknown' for a
    customer without a customer row (categorical and banded ones), null for a numeric one.
    Memory: at 10M orders (2.4M rows over the cutoffs) the joins of the five feature tables hold
    about 1.3 GB; under a lower DuckDB memory limit they spill past 1500MB (docs/decisions.md,
    "Per-model memory limits"). -#}
{{ config(
    pre_hook="{{ lowered_memory_limit('1500MB') }}",
    post_hook="{{ restored_memory_limit() }}",
) }}
{%- set attributes = customer_attributes() -%}

with

rfm as (

    select * from {{ ref('int_customers_rfm_aggregated') }}
    where frequency > 0

),

browsing as (

    select * from {{ ref('int_customers_browsing_aggregated') }}

),

baskets as (

    select * from {{ ref('int_customers_baskets_aggregated') }}

),

reviews as (

    select * from {{ ref('int_customers_reviews_aggregated') }}

),

demographics as (

    select * from {{ ref('int_customers_demographics_banded') }}

),

inputs_present as (

    select * from {{ ref('int_inputs_present') }}

),

final as (

    select
        rfm.cutoff_date,
        rfm.customer_id,
        rfm.recency_days,
        rfm.frequency,
        rfm.monetary,
        rfm.average_order_value,
        rfm.tenure_days,
        rfm.mean_days_between_orders,
        rfm.return_rate,
        rfm.cancelled_orders,
        case when inputs_present.has_events then coalesce(browsing.sessions, 0) end as sessions,
        case when inputs_present.has_events then coalesce(browsing.browsing_minutes, 0) end as browsing_minutes,
        case when inputs_present.has_events then coalesce(browsing.product_views_per_session, 0) end
            as product_views_per_session,
        -- No cart, nothing abandoned: 0 rather than unknown.
        case when inputs_present.has_events then coalesce(browsing.cart_abandonment_rate, 0) end
            as cart_abandonment_rate,
        case when inputs_present.has_order_items then coalesce(baskets.category_diversity, 0) end as category_diversity,
        baskets.top_category_share,
        baskets.discount_share,
        case when inputs_present.has_reviews then coalesce(reviews.review_count, 0) end as review_count,
        reviews.mean_rating,
        reviews.review_sentiment_mean,
        reviews.review_negative_share,
        {%- for column in review_topic_share_columns() %}
            reviews.{{ column }},
        {%- endfor %}
        coalesce(baskets.top_category, 'unknown') as top_category,
        coalesce(demographics.gender, 'unknown') as gender,
        coalesce(demographics.age_band, 'unknown') as age_band,
        coalesce(demographics.country, 'unknown') as country,
        coalesce(demographics.acquisition_channel, 'unknown') as acquisition_channel,
        {%- for attribute in attributes %}
        {%- set attribute_value = 'demographics.' ~ adapter.quote(attribute.column) %}
        {{ "coalesce(" ~ attribute_value ~ ", 'unknown')" if attribute.is_categorical else attribute_value }}
            as {{ adapter.quote(attribute.column) }},
        {%- endfor %}
        rfm.first_order_date,
        rfm.last_order_date
    from rfm
    cross join inputs_present
    left join browsing
        on rfm.cutoff_date = browsing.cutoff_date and rfm.customer_id = browsing.customer_id
    left join baskets
        on rfm.cutoff_date = baskets.cutoff_date and rfm.customer_id = baskets.customer_id
    left join reviews
        on rfm.cutoff_date = reviews.cutoff_date and rfm.customer_id = reviews.customer_id
    left join demographics
        on rfm.cutoff_date = demographics.cutoff_date and rfm.customer_id = demographics.customer_id

)

select * from final
