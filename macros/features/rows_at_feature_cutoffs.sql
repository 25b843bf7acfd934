{#- Unpivots a one-pass aggregate over every feature cutoff into one row per cutoff: relation has
    one row per keys with, for each role of feature_cutoff_roles, the columns <role>__<column>
    (macro value_at_feature_cutoff); the result has cutoff_date, the keys and the columns, one
    row per cutoff (int_feature_cutoffs) and keys whose <role>__<presence_column> is above 0,
    that is which had a row before that cutoff. -#}
{% macro rows_at_feature_cutoffs(relation, keys, columns, presence_column) -%}
    select
        cutoffs.cutoff_date,
        {%- for key in keys %}
        {{ relation }}.{{ key }},
        {%- endfor %}
        {%- for column in columns %}
        {{ value_at_feature_cutoff(column, relation) }} as {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ relation }}
    cross join {{ ref('int_feature_cutoffs') }} as cutoffs
    where {{ value_at_feature_cutoff(presence_column, relation) }} > 0
{%- endmacro %}
