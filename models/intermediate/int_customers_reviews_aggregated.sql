{#- Reviews per customer written before each feature cutoff. One row per cutoff and reviewing
    customer. -#}
with

reviews as (

    select * from {{ ref('stg_shop__reviews') }}

),

cutoffs as (

    select cutoff_date from {{ ref('int_feature_cutoffs') }}

),

final as (

    select
        cutoffs.cutoff_date,
        reviews.customer_id,
        count(*) as review_count,
        avg(cast(reviews.rating as {{ type_double() }})) as mean_rating
    from reviews
    inner join cutoffs
        on cast(reviews.reviewed_at as date) < cutoffs.cutoff_date
    group by cutoffs.cutoff_date, reviews.customer_id

)

select * from final
