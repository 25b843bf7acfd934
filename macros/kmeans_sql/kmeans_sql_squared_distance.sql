{#- Squared Euclidean distance between a row of kmeans_sql_points (columns z_<i>) and a centre
    (columns c_<i>), over the given kmeans_sql features; 0 when there are none. -#}
{% macro kmeans_sql_squared_distance(points_alias, centroids_alias, features) -%}
    (
        0
        {%- for feature in features %}
        + ({{ points_alias }}.z_{{ feature.index }} - {{ centroids_alias }}.c_{{ feature.index }})
        * ({{ points_alias }}.z_{{ feature.index }} - {{ centroids_alias }}.c_{{ feature.index }})
        {%- endfor %}
    )
{%- endmacro %}
