{#- Demographics without personal data: an age band (at each feature cutoff) instead of the birth
    date, no name, e-mail or city. One row per cutoff and staged customer. -#}
with

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

cutoffs as (

    select cutoff_date from {{ ref('int_feature_cutoffs') }}

),

aged as (

    select
        cutoffs.cutoff_date,
        customers.customer_id,
        customers.gender,
        customers.country,
        customers.acquisition_channel,
        cast(customers.signup_at as date) as signup_date,
        floor(                        {{ dbt.datediff('customers.birth_date', 'cutoffs.cutoff_date', 'day') }} / 365.25
        )
            as age_years
    from customers
    cross join cutoffs

),

final as (

    select
        cutoff_date,
        customer_id,
        gender,
        country,
        acquisition_channel,
        signup_date,
        case
            when age_years is null or age_years < 0 then 'unknown'
            when age_years < 25 then 'under_25'
            when age_years < 35 then '25_34'
            when age_years < 45 then '35_44'
            when age_years < 55 then '45_54'
            when age_years < 65 then '55_64'
            else '65_plus'
        end as age_band
    from aged

)

select * from final
