{#- The clustering features drift is measured on: those of segmentation.numeric_features that
    are numeric columns of the feature table (the model leaves any other name out too, as "not a
    column of the feature table"), so a misspelt or undeclared customer attribute cannot break
    monitoring. -#}
{% macro drift_features() %}
    {%- set features = [] -%}
    {%- for feature in setting('segmentation', 'numeric_features') if feature in customer_numeric_features() -%}
        {%- do features.append(feature) -%}
    {%- endfor -%}
    {{ return(features) }}
{% endmacro %}
