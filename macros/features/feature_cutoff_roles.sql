{#- The feature cutoffs (int_feature_cutoffs), fixed at compile time: each role with the number of
    prediction horizons it lies before as_of_date. The current cutoff always; the training and
    evaluation cutoffs when prediction.horizon_days is above 0. Known at compile time so that the
    per-cutoff feature models can aggregate every cutoff in one pass over the orders, one column
    per cutoff (macro value_at_feature_cutoff). -#}
{% macro feature_cutoff_roles() -%}
    {%- set cutoffs = [{'role': 'current', 'horizons_before': 0}] -%}
    {%- if setting('prediction', 'horizon_days') > 0 -%}
        {%- do cutoffs.append({'role': 'training', 'horizons_before': 1}) -%}
        {%- do cutoffs.append({'role': 'evaluation', 'horizons_before': 2}) -%}
    {%- endif -%}
    {{ return(cutoffs) }}
{%- endmacro %}
