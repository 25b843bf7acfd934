{#- Every staged review with what its text says: sentiment and dominant topic (ml.review_text_fit),
    never the text itself. One row per staged review. -#}
with

reviews as (

    select * from {{ ref('stg_shop__reviews') }}

),

scores as (

    select * from ({{ review_text_artifacts() }}) as artifacts
    where record_type = 'review'

),

final as (

    select
        reviews.review_id,
        reviews.customer_id,
        reviews.product_id,
        reviews.rating,
        scores.topic_id,
        scores.sentiment_score,
        coalesce(scores.has_text, reviews.review_text is not null) as has_text,
        scores.is_language_supported,
        scores.is_negative,
        reviews.reviewed_at
    from reviews
    left join scores
        on cast(reviews.review_id as {{ dbt.type_string() }}) = scores.review_id

)

select * from final
