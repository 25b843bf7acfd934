{#- One feature in model space, as customer_segmentation.segmentation.preprocessing.apply_scaling computes it
    and int_customers_segmented scores it:
        clip((t(coalesce(x, fill)) - center) / scale, -clip, clip), t = ln(1 + max(x, 0)) or x.
    Arguments are SQL expressions; transform is 'log1p' or 'identity'. The same text everywhere,
    so fitting and scoring compute the same bits. -#}
{% macro kmeans_sql_scaled_value(value, fill, center, scale, clip_limit, transform) -%}
    least(
        greatest(
            (
                {{ kmeans_sql_transformed_value('cast(' ~ value ~ ' as ' ~ type_double() ~ ')', fill, transform) }}
                - {{ center }}
            ) / {{ scale }},
            -{{ clip_limit }}
        ),
        {{ clip_limit }}
    )
{%- endmacro %}
