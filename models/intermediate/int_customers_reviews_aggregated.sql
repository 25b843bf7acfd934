{#- Reviews per customer written before as_of_date. One row per customer with a review. -#}
with

reviews as (

    select * from {{ ref('stg_shop__reviews') }}

),

run_date as (

    select as_of_date from {{ ref('int_as_of_date') }}

),

final as (

    select
        reviews.customer_id,
        count(*) as review_count,
        avg(cast(reviews.rating as {{ type_double() }})) as mean_rating
    from reviews
    cross join run_date
    where cast(reviews.reviewed_at as date) < run_date.as_of_date
    group by reviews.customer_id

)

select * from final
