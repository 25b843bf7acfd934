{#- Demographics without personal data: an age band (at each feature cutoff) instead of the birth
    date, no name, e-mail or city. One row per cutoff and staged customer.
    The shop's declared attributes (var customer_attributes) follow: a numeric one as its number,
    or as its band when it has bins; a categorical one as its level, 'other' for a level outside
    the attribute's max_levels most frequent or held by fewer than min_level_share of the staged
    customers (a level that small could single a customer out), 'unknown' when missing. -#}
{%- set attributes = customer_attributes() -%}

with

customers as (

    select * from {{ ref('stg_shop__customers') }}

),

cutoffs as (

    select cutoff_date from {{ ref('int_feature_cutoffs') }}

),

{%- for attribute in attributes if attribute.type == 'categorical' %}

{{ attribute.name }}__levels as (

    select
        {{ adapter.quote(attribute.name) }} as level,
        count(*) as customers,
        row_number() over (order by count(*) desc, {{ adapter.quote(attribute.name) }}) as level_rank
    from customers
    where {{ adapter.quote(attribute.name) }} is not null
    group by {{ adapter.quote(attribute.name) }}

),

{{ attribute.name }}__kept_levels as (

    select {{ attribute.name }}__levels.level
    from {{ attribute.name }}__levels
    cross join (select count(*) as customers from customers) as all_customers
    where
        {{ attribute.name }}__levels.level_rank <= {{ attribute.max_levels }}
        and {{ attribute.name }}__levels.customers >= {{ attribute.min_level_share }} * all_customers.customers

),
{%- endfor %}

aged as (

    select
        cutoffs.cutoff_date,
        customers.customer_id,
        customers.gender,
        customers.country,
        customers.acquisition_channel,
        cast(customers.signup_at as date) as signup_date,
        {%- for attribute in attributes %}
        {%- set value = 'customers.' ~ adapter.quote(attribute.name) %}
        {%- if attribute.type == 'categorical' %}
        case
            when {{ value }} is null then 'unknown'
            when {{ attribute.name }}__kept_levels.level is not null then {{ value }}
            else 'other'
        end as {{ adapter.quote(attribute.column) }},
        {%- elif attribute.bins %}
        {{ customer_attribute_band(value, attribute.bins) }} as {{ adapter.quote(attribute.column) }},
        {%- else %}
        cast({{ value }} as {{ type_double() }}) as {{ adapter.quote(attribute.column) }},
        {%- endif %}
        {%- endfor %}
        floor(                        {{ dbt.datediff('customers.birth_date', 'cutoffs.cutoff_date', 'day') }} / 365.25
        )
            as age_years
    from customers
    cross join cutoffs
    {%- for attribute in attributes if attribute.type == 'categorical' %}
    left join {{ attribute.name }}__kept_levels
        on customers.{{ adapter.quote(attribute.name) }} = {{ attribute.name }}__kept_levels.level
    {%- endfor %}

),

final as (

    select
        cutoff_date,
        customer_id,
        gender,
        country,
        acquisition_channel,
        signup_date,
        {%- for attribute in attributes %}
        {{ adapter.quote(attribute.column) }},
        {%- endfor %}
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
