{#- Every numeric feature of int_customer_features, in the order segment profiles list them.
    Profiles describe segments on all of them, whichever subset the model was fitted on. The
    shop's numeric customer attributes without bins (var customer_attributes) come last, unless
    include_attributes is false. -#}
{% macro customer_numeric_features(include_attributes=true) -%}
    {%- set features = [
        'recency_days', 'frequency', 'monetary', 'average_order_value', 'tenure_days',
        'mean_days_between_orders', 'return_rate', 'cancelled_orders', 'sessions',
        'browsing_minutes', 'product_views_per_session', 'cart_abandonment_rate',
        'category_diversity', 'top_category_share', 'discount_share', 'review_count',
        'mean_rating', 'review_sentiment_mean', 'review_negative_share'
    ] + review_topic_share_columns() -%}
    {%- if include_attributes -%}
        {%- for attribute in customer_attributes() if not attribute.is_categorical -%}
            {%- do features.append(attribute.column) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(features) }}
{%- endmacro %}
