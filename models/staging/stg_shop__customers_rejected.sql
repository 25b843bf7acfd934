with

checked as (

    select * from {{ ref('stg_shop__customers_checked') }}

),

rejected as (

    select
        source_row_key,
        rejection_reason,
        raw_customer_id,
        raw_signup_at,
        raw_birth_date,
        raw_gender,
        raw_country,
        raw_city,
        raw_acquisition_channel,
        raw_email,
        raw_full_name,
        {%- for attribute in customer_attributes() %}
        {{ adapter.quote('raw_' ~ attribute.name) }},
        {%- endfor %}
        rejected_attribute
    from checked
    where rejection_reason is not null

)

select * from rejected
