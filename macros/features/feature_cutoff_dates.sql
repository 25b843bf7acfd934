{#- One row with one column per feature cutoff, <role>_cutoff_date, from int_feature_cutoffs: the
    dates a one-pass aggregate compares each order with. -#}
{% macro feature_cutoff_dates() -%}
    select
        {%- for cutoff in feature_cutoff_roles() %}
        max(case when cutoff_role = '{{ cutoff.role }}' then cutoff_date end) as {{ cutoff.role }}_cutoff_date
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('int_feature_cutoffs') }}
{%- endmacro %}
