{#- The topics the shop's reviews are about (TF-IDF + NMF on the English reviews written before
    as_of_date, ml.review_text_fit): the top words of each topic and how many reviews it
    dominates. No review text, only the topic words. One row per topic and word rank. -#}
with

artifacts as (

    select * from ({{ review_text_artifacts() }}) as artifacts

),

reviews as (

    select * from {{ ref('int_reviews_text_scored') }}

),

run_date as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

words as (

    select
        topic_id,
        position as word_rank,
        text_value as word,
        value as word_weight
    from artifacts
    where record_type = 'topic_word'

),

labels as (

    select
        topic_id,
        {{ dbt.listagg("word", "', '", "order by word_rank") }} as topic_label
    from words
    where word_rank <= 3
    group by topic_id

),

reviews_before as (

    select reviews.topic_id
    from reviews
    inner join run_date
        on cast(reviews.reviewed_at as date) < run_date.as_of_date
    where reviews.topic_id is not null

),

topic_reviews as (

    select
        topic_id,
        count(*) as reviews
    from reviews_before
    group by topic_id

),

all_reviews as (

    select count(*) as reviews_with_topic from reviews_before

),

final as (

    select
        words.topic_id,
        labels.topic_label,
        words.word_rank,
        words.word,
        words.word_weight,
        coalesce(topic_reviews.reviews, 0) as reviews,
        cast(coalesce(topic_reviews.reviews, 0) as {{ type_double() }})
        / nullif(all_reviews.reviews_with_topic, 0) as share_of_reviews
    from words
    inner join labels
        on words.topic_id = labels.topic_id
    left join topic_reviews
        on words.topic_id = topic_reviews.topic_id
    cross join all_reviews

)

select * from final
