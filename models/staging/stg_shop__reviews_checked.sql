{#- Every raw review, typed, with the reason it is rejected (null when kept). -#}
{%- set reviews_input = shop_input_relation('reviews') -%}

with

source_rows as (

    select
        customer_id as raw_customer_id,
        product_id as raw_product_id,
        rating as raw_rating,
        review_text as raw_review_text,
        reviewed_at as raw_reviewed_at
    from {{ reviews_input }}

),

typed as (

    select
        source_rows.*,
        nullif(trim(raw_customer_id), '') as customer_id,
        nullif(trim(raw_product_id), '') as product_id,
        {{ dbt.safe_cast('raw_rating', type_double()) }} as parsed_rating,
        nullif(trim(raw_review_text), '') as review_text,
        {{ dbt.safe_cast('raw_reviewed_at', dbt.type_timestamp()) }} as reviewed_at,
        {{ row_fingerprint(['raw_customer_id', 'raw_product_id', 'raw_rating', 'raw_review_text', 'raw_reviewed_at']) }}
            as raw_fingerprint
    from source_rows

),

validated as (

    select
        *,
        case
            when customer_id is null then 'missing_customer_id'
            when {{ looks_like_email('customer_id') }} then 'personal_data_in_customer_id'
            when parsed_rating is null then 'missing_or_unparseable_rating'
            when parsed_rating not in (1, 2, 3, 4, 5) then 'rating_out_of_range'
            when reviewed_at is null then 'missing_or_unparseable_reviewed_at'
            when cast(reviewed_at as date) > current_date then 'future_reviewed_at'
        end as validation_failure,
        row_number() over (partition by raw_fingerprint order by raw_fingerprint) as raw_occurrence
    from typed

),

checked as (

    select
        {{ source_row_key() }} as source_row_key,
        customer_id,
        product_id,
        -- Cast only the ratings that passed: a value such as 1e300 does not fit an integer.
        case
            when parsed_rating in (1, 2, 3, 4, 5) then cast(parsed_rating as {{ dbt.type_int() }})
        end as rating,
        review_text,
        reviewed_at,
        raw_customer_id,
        raw_product_id,
        raw_rating,
        raw_review_text,
        raw_reviewed_at,
        coalesce(
            validation_failure,
            case when raw_occurrence > 1 then 'duplicate_row' end
        ) as rejection_reason
    from validated

)

select * from checked
