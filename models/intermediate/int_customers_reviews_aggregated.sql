{#- Reviews per customer written before each feature cutoff, with what their text says
    (int_reviews_text_scored). One row per cutoff and reviewing customer. Sentiment features are
    null for a customer none of whose reviews has English text; topic shares are null when no
    topic model was fitted, for a customer none of whose reviews has a topic, and for the topics
    beyond the chosen k. -#}
with

reviews as (

    select * from {{ ref('int_reviews_text_scored') }}

),

cutoffs as (

    select cutoff_date from {{ ref('int_feature_cutoffs') }}

),

topic_model as (

    select max(value) as topics_k
    from ({{ review_text_artifacts() }}) as artifacts
    where record_type = 'parameter' and metric = 'topics_k'

),

final as (

    select
        cutoffs.cutoff_date,
        reviews.customer_id,
        count(*) as review_count,
        avg(cast(reviews.rating as {{ type_double() }})) as mean_rating,
        avg(reviews.sentiment_score) as review_sentiment_mean,
        avg(
            case when reviews.is_negative then 1.0 when not reviews.is_negative then 0.0 end
        ) as review_negative_share,
        {%- for column in review_topic_share_columns() %}
            case
                when {{ loop.index }} <= max(topic_model.topics_k)
                    then sum(case when reviews.topic_id = {{ loop.index }} then 1.0 else 0.0 end)
                        / nullif(count(reviews.topic_id), 0)
            end as {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from reviews
    inner join cutoffs
        on cast(reviews.reviewed_at as date) < cutoffs.cutoff_date
    cross join topic_model
    group by cutoffs.cutoff_date, reviews.customer_id

)

select * from final
