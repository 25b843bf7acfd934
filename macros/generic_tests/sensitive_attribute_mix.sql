{#- The mix of sensitive attributes in groups of customers (segments, campaign audiences) against
    the whole customer base. Used by marts.segment_fairness and by the test
    sensitive_attribute_mix_disparity.

    members: one row per customer and group (customer_column, group_column);
    customer_attributes: one row per customer of the base, with the attribute columns.
    Grain of the result: one row per group, attribute and attribute value present in the base
    (a value absent from a group appears with 0 customers). Columns: <group_column>, attribute,
    attribute_value, group_customers, group_size, group_share, base_customers, base_size,
    base_share, disparity_ratio (group_share / base_share). A missing value counts as 'unknown'.
    Members without a row in customer_attributes are left out. -#}
{% macro sensitive_attribute_mix(members, group_column, customer_attributes, attributes=['gender', 'age_band'], customer_column='customer_id') %}
with

mix_members as (

    select distinct
        {{ group_column }} as group_id,
        {{ customer_column }} as customer_id
    from {{ members }}

),

mix_attribute_values as (
    {%- for attribute in attributes %}

    select
        {{ customer_column }} as customer_id,
        '{{ attribute }}' as attribute,
        coalesce(cast({{ attribute }} as {{ dbt.type_string() }}), 'unknown') as attribute_value
    from {{ customer_attributes }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

mix_base as (

    select
        attribute,
        attribute_value,
        count(*) as base_customers
    from mix_attribute_values
    group by attribute, attribute_value

),

mix_base_sizes as (

    select
        attribute,
        sum(base_customers) as base_size
    from mix_base
    group by attribute

),

mix_member_values as (

    select
        mix_members.group_id,
        mix_attribute_values.attribute,
        mix_attribute_values.attribute_value
    from mix_members
    inner join mix_attribute_values
        on mix_members.customer_id = mix_attribute_values.customer_id

),

mix_group_counts as (

    select
        group_id,
        attribute,
        attribute_value,
        count(*) as group_customers
    from mix_member_values
    group by group_id, attribute, attribute_value

),

mix_group_sizes as (

    select
        group_id,
        attribute,
        count(*) as group_size
    from mix_member_values
    group by group_id, attribute

),

mix_grid as (

    select
        mix_group_sizes.group_id,
        mix_group_sizes.attribute,
        mix_base.attribute_value,
        mix_group_sizes.group_size,
        mix_base.base_customers,
        mix_base_sizes.base_size
    from mix_group_sizes
    inner join mix_base
        on mix_group_sizes.attribute = mix_base.attribute
    inner join mix_base_sizes
        on mix_group_sizes.attribute = mix_base_sizes.attribute

),

mix_shares as (

    select
        mix_grid.group_id,
        mix_grid.attribute,
        mix_grid.attribute_value,
        coalesce(mix_group_counts.group_customers, 0) as group_customers,
        mix_grid.group_size,
        cast(coalesce(mix_group_counts.group_customers, 0) as {{ type_double() }}) / mix_grid.group_size as group_share,
        mix_grid.base_customers,
        mix_grid.base_size,
        cast(mix_grid.base_customers as {{ type_double() }}) / mix_grid.base_size as base_share
    from mix_grid
    left join mix_group_counts
        on mix_grid.group_id = mix_group_counts.group_id
        and mix_grid.attribute = mix_group_counts.attribute
        and mix_grid.attribute_value = mix_group_counts.attribute_value

)

select
    group_id as {{ group_column }},
    attribute,
    attribute_value,
    group_customers,
    group_size,
    group_share,
    base_customers,
    base_size,
    base_share,
    group_share / base_share as disparity_ratio
from mix_shares
{% endmacro %}
