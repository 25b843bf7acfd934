{#- The feature table the segmentation works on: features at as_of_date. One row per customer
    with at least one completed purchase before as_of_date (the eligible customers). The shop's
    declared customer attributes (var customer_attributes) come last. -#}
with

features_by_cutoff as (

    select * from {{ ref('int_customer_features_by_cutoff') }}

),

run_date as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

final as (

    select
        features_by_cutoff.customer_id,
        run_date.as_of_date,
        features_by_cutoff.recency_days,
        features_by_cutoff.frequency,
        features_by_cutoff.monetary,
        features_by_cutoff.average_order_value,
        features_by_cutoff.tenure_days,
        features_by_cutoff.mean_days_between_orders,
        features_by_cutoff.return_rate,
        features_by_cutoff.cancelled_orders,
        features_by_cutoff.sessions,
        features_by_cutoff.browsing_minutes,
        features_by_cutoff.product_views_per_session,
        features_by_cutoff.cart_abandonment_rate,
        features_by_cutoff.category_diversity,
        features_by_cutoff.top_category_share,
        features_by_cutoff.discount_share,
        features_by_cutoff.review_count,
        features_by_cutoff.mean_rating,
        features_by_cutoff.review_sentiment_mean,
        features_by_cutoff.review_negative_share,
        {%- for column in review_topic_share_columns() %}
            features_by_cutoff.{{ column }},
        {%- endfor %}
        features_by_cutoff.top_category,
        features_by_cutoff.gender,
        features_by_cutoff.age_band,
        features_by_cutoff.country,
        features_by_cutoff.acquisition_channel,
        features_by_cutoff.first_order_date,
        {%- for attribute in customer_attributes() %}
        features_by_cutoff.{{ adapter.quote(attribute.column) }},
        {%- endfor %}
        features_by_cutoff.last_order_date
    from features_by_cutoff
    inner join run_date
        on features_by_cutoff.cutoff_date = run_date.as_of_date

)

select * from final
