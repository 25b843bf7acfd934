{#- The transform of a feature before centring and scaling, as customer_segmentation.segmentation.preprocessing
    applies it: ln(1 + max(x, 0)) for log1p features, x otherwise, with missing values filled.
    value and fill are SQL expressions (value a double); transform is 'log1p' or 'identity'. -#}
{% macro kmeans_sql_transformed_value(value, fill, transform) -%}
    {%- if transform == 'log1p' -%}
        ln(1 + greatest(coalesce({{ value }}, {{ fill }}), 0))
    {%- else -%}
        coalesce({{ value }}, {{ fill }})
    {%- endif -%}
{%- endmacro %}
