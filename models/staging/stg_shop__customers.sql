with

checked as (

    select * from {{ ref('stg_shop__customers_checked') }}

),

kept as (

    select
        customer_id,
        gender,
        country,
        city,
        acquisition_channel,
        email,
        full_name,
        birth_date,
        has_invalid_birth_date,
        {%- for attribute in customer_attributes() %}
        {{ adapter.quote(attribute.name) }},
        {%- endfor %}
        signup_at
    from checked
    where rejection_reason is null

)

select * from kept
