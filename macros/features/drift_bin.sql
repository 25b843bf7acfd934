{#- The drift bin of a value: 0 when it is missing, else the first of the bins 1 to bins - 1
    whose upper edge (columns upper_edge_1 ... of the edges relation) holds it, else the top bin.
    A missing edge holds nothing. customer_segmentation.segmentation.model_choice bins the same way. -#}
{% macro drift_bin(value_expression, edges_relation, bins=10) -%}
    case
        when {{ value_expression }} is null then 0
        {%- for bin in range(1, bins) %}
        when {{ value_expression }} <= {{ edges_relation }}.upper_edge_{{ bin }} then {{ bin }}
        {%- endfor %}
        else {{ bins }}
    end
{%- endmacro %}
