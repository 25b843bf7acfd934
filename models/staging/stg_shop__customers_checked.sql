{#- Every raw customer row, typed and normalised, with the reason it is rejected (null when kept).
    Invalid birth dates (unparseable, in the future, or more than 120 years ago) do not reject the
    customer: the birth date is set to null and has_invalid_birth_date says so.
    The shop's declared attributes (var customer_attributes) are trimmed (blank is missing) and
    numeric ones cast to decimal(18, 4). A row is rejected when a numeric attribute holds a value
    that is no number of that size (unparseable_customer_attribute) or a categorical one holds
    an e-mail address (personal_data_in_customer_attribute); rejected_attribute names the first
    such attribute. -#}
{%- set customers_input = shop_input_relation('customers') -%}
{%- set attributes = customer_attributes() -%}
{%- set raw_columns = ['raw_customer_id', 'raw_signup_at', 'raw_birth_date', 'raw_gender', 'raw_country', 'raw_city', 'raw_acquisition_channel', 'raw_email', 'raw_full_name'] -%}
{%- for attribute in attributes -%}
    {%- do raw_columns.append('raw_' ~ attribute.name) -%}
{%- endfor -%}

with

source_rows as (

    select
        customer_id as raw_customer_id,
        signup_at as raw_signup_at,
        birth_date as raw_birth_date,
        gender as raw_gender,
        country as raw_country,
        city as raw_city,
        acquisition_channel as raw_acquisition_channel,
        email as raw_email,
        {%- for attribute in attributes %}
        {{ adapter.quote(attribute.name) }} as {{ adapter.quote('raw_' ~ attribute.name) }},
        {%- endfor %}
        full_name as raw_full_name
    from {{ customers_input }}

),

typed as (

    select
        source_rows.*,
        nullif(trim(raw_customer_id), '') as customer_id,
        {{ dbt.safe_cast('raw_signup_at', dbt.type_timestamp()) }} as signup_at,
        cast({{ dbt.safe_cast('raw_birth_date', dbt.type_timestamp()) }} as date) as parsed_birth_date,
        case
            when lower(trim(raw_gender)) in ('female', 'f', 'woman') then 'female'
            when lower(trim(raw_gender)) in ('male', 'm', 'man') then 'male'
            when
                lower(trim(raw_gender)) in ('non_binary', 'non-binary', 'nonbinary', 'x', 'other', 'diverse')
                then 'non_binary'
            else 'unknown'
        end as gender,
        coalesce(nullif(trim(raw_country), ''), 'unknown') as country,
        nullif(trim(raw_city), '') as city,
        coalesce(lower(nullif(trim(raw_acquisition_channel), '')), 'unknown') as acquisition_channel,
        lower(nullif(trim(raw_email), '')) as email,
        {%- for attribute in attributes %}
        {%- set raw_value = "nullif(trim(" ~ adapter.quote('raw_' ~ attribute.name) ~ "), '')" %}
        {{ dbt.safe_cast(raw_value, type_customer_attribute_number()) if attribute.type == 'numeric' else raw_value }}
            as {{ adapter.quote(attribute.name) }},
        {%- endfor %}
        nullif(trim(raw_full_name), '') as full_name
    from source_rows

),

attributes_checked as (

    -- The first declared attribute whose value is refused, and why (`<attribute>|<reason>`).
    select
        *,
        case
            -- A first branch that never matches keeps the case valid without attributes.
            when false then cast(null as {{ dbt.type_string() }})
            {%- for attribute in attributes %}
            {%- if attribute.type == 'numeric' %}
            when {{ adapter.quote(attribute.name) }} is null and {{ adapter.quote('raw_' ~ attribute.name) }} is not null
                and trim({{ adapter.quote('raw_' ~ attribute.name) }}) != ''
                then {{ sql_string_literal(attribute.name ~ '|unparseable_customer_attribute') }}
            {%- else %}
            when {{ looks_like_email(adapter.quote(attribute.name)) }}
                then {{ sql_string_literal(attribute.name ~ '|personal_data_in_customer_attribute') }}
            {%- endif %}
            {%- endfor %}
        end as attribute_failure
    from typed

),

validated as (

    select
        *,
        coalesce(
            parsed_birth_date is null and nullif(trim(raw_birth_date), '') is not null
            or parsed_birth_date > current_date
            or parsed_birth_date < cast({{ dbt.dateadd('year', -120, 'current_date') }} as date),
            false
        ) as has_invalid_birth_date,
        case
            when customer_id is null then 'missing_customer_id'
            -- Texts that leave staging: one shaped like an e-mail address would carry personal data.
            when {{ looks_like_email('customer_id') }} then 'personal_data_in_customer_id'
            when {{ looks_like_email('country') }} then 'personal_data_in_country'
            when {{ looks_like_email('acquisition_channel') }} then 'personal_data_in_acquisition_channel'
            when attribute_failure is not null then {{ dbt.split_part('attribute_failure', "'|'", 2) }}
        end as validation_failure,
        {{ row_fingerprint(raw_columns) }} as raw_fingerprint
    from attributes_checked

),

ranked as (

    select
        *,
        -- One row per customer: the earliest signup wins, then the most complete row.
        row_number() over (
            partition by case when validation_failure is null then customer_id end
            order by
                signup_at nulls last,
                case when parsed_birth_date is null then 1 else 0 end,
                raw_fingerprint
        ) as version_rank,
        row_number() over (partition by raw_fingerprint order by raw_fingerprint) as raw_occurrence
    from validated

),

checked as (

    select
        {{ source_row_key() }} as source_row_key,
        customer_id,
        gender,
        country,
        city,
        acquisition_channel,
        email,
        full_name,
        case when has_invalid_birth_date then null else parsed_birth_date end as birth_date,
        has_invalid_birth_date,
        signup_at,
        {%- for attribute in attributes %}
        {{ adapter.quote(attribute.name) }},
        {%- endfor %}
        raw_customer_id,
        raw_signup_at,
        raw_birth_date,
        raw_gender,
        raw_country,
        raw_city,
        raw_acquisition_channel,
        raw_email,
        raw_full_name,
        {%- for attribute in attributes %}
        {{ adapter.quote('raw_' ~ attribute.name) }},
        {%- endfor %}
        case
            when validation_failure in ('unparseable_customer_attribute', 'personal_data_in_customer_attribute')
                then {{ dbt.split_part('attribute_failure', "'|'", 1) }}
        end as rejected_attribute,
        coalesce(
            validation_failure,
            case
                when version_rank > 1 and raw_fingerprint = first_value(raw_fingerprint)
                        over (
                            partition by case when validation_failure is null then customer_id end
                            order by version_rank
                        )
                    then 'duplicate_row'
                when version_rank > 1 then 'conflicting_duplicate_customer_id'
            end
        ) as rejection_reason
    from ranked

)

select * from checked
