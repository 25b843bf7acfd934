{#- Fairness check: fails (use severity warn) for every group whose share of a sensitive attribute
    value departs from the whole base by more than a factor: disparity_ratio above
    max_disparity_ratio, or below 1 / max_disparity_ratio.

    Two ways to apply it:
    - on a mix model such as marts.segment_fairness (columns <group_column>, attribute,
      attribute_value, <size_column>, base_customers, base_share, disparity_ratio):
          - sensitive_attribute_mix_disparity:
              arguments: {group_column: segment_id}
              config: {severity: warn}
    - on a membership model, one row per customer and group, such as a campaign audience:
          - sensitive_attribute_mix_disparity:
              arguments:
                group_column: audience_id
                customer_attributes: ref('int_customer_features')
              config: {severity: warn}
      the mix is then computed with the macro sensitive_attribute_mix.

    Noise guard: a group is judged only with at least min_group_customers customers (default var
    fairness_min_group_customers) and, per value, at least min_expected_customers expected
    customers (group size x base share, default 5, the usual rule for a chi-square cell).
    Values in ignored_values (default 'unknown': missing data, not a group of people) are skipped.
    Defaults of the threshold: var fairness_max_disparity_ratio. -#}
{% test sensitive_attribute_mix_disparity(model, group_column, customer_attributes=none, attributes=none, size_column='segment_size', max_disparity_ratio=none, min_group_customers=none, min_expected_customers=5, ignored_values=['unknown']) %}
{#- attributes (with customer_attributes): default gender, age band and the declared sensitive
    customer attributes (macro fairness_attributes). -#}
{%- set attributes = attributes if attributes is not none else fairness_attributes() -%}
{%- set max_ratio = (max_disparity_ratio | string) if max_disparity_ratio is not none else validated_number_var('fairness_max_disparity_ratio', minimum=1) -%}
{%- set min_group = (min_group_customers | string) if min_group_customers is not none else validated_number_var('fairness_min_group_customers', minimum=1, whole=true) -%}
{%- for setting in [max_ratio, min_group, min_expected_customers | string] -%}
    {%- if not modules.re.fullmatch('[0-9]+(\\.[0-9]+)?', setting) -%}
        {{ exceptions.raise_compiler_error("sensitive_attribute_mix_disparity: thresholds must be non-negative numbers, got " ~ (setting | tojson)) }}
    {%- endif -%}
{%- endfor -%}
{%- if (max_ratio | float) < 1 -%}
    {{ exceptions.raise_compiler_error("sensitive_attribute_mix_disparity: max_disparity_ratio must be at least 1, got " ~ max_ratio) }}
{%- endif -%}

with

mix as (

    {%- if customer_attributes is not none %}
    select
        {{ group_column }},
        attribute,
        attribute_value,
        group_size as judged_group_size,
        base_customers,
        base_share,
        disparity_ratio
    from (
        {{ sensitive_attribute_mix(model, group_column, customer_attributes, attributes) }}
    ) as computed_mix
    {%- else %}
    select
        {{ group_column }},
        attribute,
        attribute_value,
        {{ size_column }} as judged_group_size,
        base_customers,
        base_share,
        disparity_ratio
    from {{ model }}
    {%- endif %}

)

select
    {{ group_column }},
    attribute,
    attribute_value,
    judged_group_size,
    base_share,
    disparity_ratio
from mix
where judged_group_size >= {{ min_group }}
    and judged_group_size * base_share >= {{ min_expected_customers }}
    {%- if ignored_values %}
    and attribute_value not in ({% for value in ignored_values %}{{ sql_string_literal(value) }}{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif %}
    and (disparity_ratio > {{ max_ratio }} or disparity_ratio < 1.0 / {{ max_ratio }})

{% endtest %}
