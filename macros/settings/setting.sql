{#- One setting, e.g. setting('segmentation', 'fit_sample_size'): the user's value or the declared
    default, checked (macro settings). -#}
{% macro setting(group, name) %}
    {%- set values = settings(group) -%}
    {%- if name not in values -%}
        {{ exceptions.raise_compiler_error("no setting " ~ group ~ "." ~ name ~ " is declared (customer_segmentation.settings)") }}
    {%- endif -%}
    {{ return(values[name]) }}
{% endmacro %}
