{#- Every raw customer row, typed and normalised, with the reason it is rejected (null when kept).
    Invalid birth dates (unparseable, in the future, or more than 120 years ago) do not reject the
    customer: the birth date is set to null and has_invalid_birth_date says so. -#}
{%- set customers_input = shop_input('customers') -%}

with

source_rows as (

    select
        cast({{ shop_column(customers_input, 'customer_id', required=true, expects='id') }} as {{ dbt.type_string() }})
            as raw_customer_id,
        cast({{ shop_column(customers_input, 'signup_at', expects='timestamp') }} as {{ dbt.type_string() }}) as raw_signup_at,
        cast({{ shop_column(customers_input, 'birth_date', expects='timestamp') }} as {{ dbt.type_string() }}) as raw_birth_date,
        cast({{ shop_column(customers_input, 'gender', expects='text') }} as {{ dbt.type_string() }}) as raw_gender,
        cast({{ shop_column(customers_input, 'country', expects='text') }} as {{ dbt.type_string() }}) as raw_country,
        cast({{ shop_column(customers_input, 'city', expects='text') }} as {{ dbt.type_string() }}) as raw_city,
        cast({{ shop_column(customers_input, 'acquisition_channel', expects='text') }} as {{ dbt.type_string() }})
            as raw_acquisition_channel,
        cast({{ shop_column(customers_input, 'email', expects='text') }} as {{ dbt.type_string() }}) as raw_email,
        cast({{ shop_column(customers_input, 'full_name', expects='text') }} as {{ dbt.type_string() }}) as raw_full_name
    from {{ customers_input.sql }}

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
        nullif(trim(raw_full_name), '') as full_name
    from source_rows

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
        end as validation_failure,
        {{ row_fingerprint(['raw_customer_id', 'raw_signup_at', 'raw_birth_date', 'raw_gender', 'raw_country', 'raw_city', 'raw_acquisition_channel', 'raw_email', 'raw_full_name']) }}
            as raw_fingerprint
    from typed

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
        raw_customer_id,
        raw_signup_at,
        raw_birth_date,
        raw_gender,
        raw_country,
        raw_city,
        raw_acquisition_channel,
        raw_email,
        raw_full_name,
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
{% if not customers_input.exists %}where 1 = 0{% endif %}
