{#- Every raw product row, typed, with the reason it is rejected (null when kept). -#}
{%- set products_input = shop_input_relation('products') -%}

with

source_rows as (

    select
        product_id as raw_product_id,
        category as raw_category,
        brand as raw_brand,
        list_price as raw_list_price
    from {{ products_input }}

),

typed as (

    select
        source_rows.*,
        nullif(trim(raw_product_id), '') as product_id,
        coalesce(lower(nullif(trim(raw_category), '')), 'unknown') as category,
        nullif(trim(raw_brand), '') as brand,
        {{ dbt.safe_cast('raw_list_price', type_money()) }} as list_price,
        {{ row_fingerprint(['raw_product_id', 'raw_category', 'raw_brand', 'raw_list_price']) }} as raw_fingerprint
    from source_rows

),

validated as (

    select
        *,
        case
            when product_id is null then 'missing_product_id'
            -- The category leaves staging (top category, recommendations).
            when {{ looks_like_email('category') }} then 'personal_data_in_category'
            when nullif(trim(raw_list_price), '') is not null and list_price is null
                then 'unparseable_list_price'
            when list_price < 0 then 'negative_list_price'
        end as validation_failure
    from typed

),

ranked as (

    select
        *,
        row_number() over (
            partition by case when validation_failure is null then product_id end
            order by category asc, brand asc, list_price desc, raw_fingerprint asc
        ) as version_rank,
        row_number() over (partition by raw_fingerprint order by raw_fingerprint) as raw_occurrence
    from validated

),

checked as (

    select
        {{ source_row_key() }} as source_row_key,
        product_id,
        category,
        brand,
        list_price,
        raw_product_id,
        raw_category,
        raw_brand,
        raw_list_price,
        coalesce(
            validation_failure,
            case
                when version_rank > 1 and raw_fingerprint = first_value(raw_fingerprint)
                        over (
                            partition by case when validation_failure is null then product_id end
                            order by version_rank
                        )
                    then 'duplicate_row'
                when version_rank > 1 then 'conflicting_duplicate_product_id'
            end
        ) as rejection_reason
    from ranked

)

select * from checked
