{#- How each segment's mix of gender, age band and the shop's customer attributes declared
    sensitive (var customer_attributes) compares with the whole customer base: the input to a
    fairness review of campaigns aimed at segments. One row per segment, attribute and attribute
    value present in the base. The sensitive attributes are not clustering features by default;
    this mart shows how far segments follow them anyway. -#}
with

segment_members as (

    select * from {{ ref('customer_segments') }}

),

mix as (

    {{ sensitive_attribute_mix(
        members=ref('customer_segments'),
        group_column='segment_id',
        customer_attributes=ref('int_customer_features'),
        attributes=fairness_attributes()) }}

),

segment_names as (

    select distinct
        segment_id,
        segment_name
    from segment_members

),

final as (

    select
        mix.segment_id,
        segment_names.segment_name,
        mix.attribute,
        mix.attribute_value,
        mix.group_customers as segment_customers,
        mix.group_size as segment_size,
        mix.group_share as segment_share,
        mix.base_customers,
        mix.base_size,
        mix.base_share,
        mix.disparity_ratio
    from mix
    inner join segment_names
        on mix.segment_id = segment_names.segment_id

)

select * from final
